using BedrockImport.Engine.Errors;

namespace BedrockImport.Engine.Invocation;

/// <summary>A request parameter is out of range or inconsistent. ParamName names the cmdlet parameter.</summary>
public sealed class InvocationValidationException : ArgumentException
{
    public InvocationValidationException(string message, string parameterName) : base(message, parameterName)
    {
    }
}

/// <summary>A model response (or stream chunk, or caller-built body) is not the JSON it should be.</summary>
public sealed class InvocationResponseFormatException : FormatException, IEngineError
{
    public string ErrorId => nameof(InvocationResponseFormatException);

    public ErrorKind Kind => ErrorKind.BadResponse;

    public InvocationResponseFormatException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>A chat template cannot be parsed or rendered.</summary>
public class ChatTemplateException : Exception, IEngineError
{
    public virtual string ErrorId => nameof(ChatTemplateException);

    /// <summary>The model's own template (data from its repository) cannot be parsed or rendered.</summary>
    public virtual ErrorKind Kind => ErrorKind.InvalidData;

    public ChatTemplateException(string message, int line = 0, Exception? inner = null)
        : base(line > 0 ? message + " (chat template line " + line + ")" : message, inner)
    {
        Line = line;
    }

    /// <summary>1-based template line, 0 when unknown.</summary>
    public int Line { get; }
}

/// <summary>The template itself refused the conversation with raise_exception('...'), for example Mistral's
/// "Conversation roles must alternate user/assistant/user/assistant/...".</summary>
public sealed class ChatTemplateRaisedException : ChatTemplateException
{
    public override string ErrorId => nameof(ChatTemplateRaisedException);

    /// <summary>The template refused what the caller sent.</summary>
    public override ErrorKind Kind => ErrorKind.Invalid;

    public ChatTemplateRaisedException(string templateMessage, int line)
        : base(templateMessage, 0)
    {
        TemplateMessage = templateMessage;
        TemplateLine = line;
    }

    /// <summary>The message the template passed to raise_exception.</summary>
    public string TemplateMessage { get; }

    public int TemplateLine { get; }
}

/// <summary>The service refused Converse for an imported model: its architecture is one the service does not serve
/// through Converse (Qwen2.5, Qwen2-VL, Qwen2.5-VL, Qwen3, GPT-OSS), or the model has no chat template.
/// InvokeModel still answers it.</summary>
public sealed class ConverseNotSupportedException : Exception, IEngineError
{
    /// <summary>The imported architectures Amazon Bedrock documents as not supporting Converse.</summary>
    public const string ExcludedArchitectures = "Qwen2.5, Qwen2-VL, Qwen2.5-VL, Qwen3 and GPT-OSS";

    public ConverseNotSupportedException(string modelId, string serviceMessage, Exception? inner = null)
        : base($"The model '{modelId}' does not answer Converse (the service said: {serviceMessage}). Amazon Bedrock does not serve " +
               $"imported {ExcludedArchitectures} models, nor models without a chat template, through Converse. " +
               "Use -Api InvokeModel (or omit -Api) for this model.", inner)
    {
        ModelId = modelId;
    }

    public string ModelId { get; }

    public string ErrorId => "ConverseNotSupported";

    public ErrorKind Kind => ErrorKind.Invalid;
}

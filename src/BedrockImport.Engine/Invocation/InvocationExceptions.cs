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

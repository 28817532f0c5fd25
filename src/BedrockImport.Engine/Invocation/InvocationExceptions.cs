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

/// <summary>What a <see cref="ChatTemplateLimitException"/> ran into. A chat template is a program from a model's
/// repository, so each render is bounded.</summary>
public enum ChatTemplateLimit
{
    /// <summary>Loop iterations in one render (<see cref="ChatTemplate.MaxLoopIterations"/>).</summary>
    LoopIterations,

    /// <summary>Characters in the output or in any one string the template builds (<see cref="ChatTemplate.MaxOutputLength"/>).</summary>
    OutputLength,

    /// <summary>Items in one list the template builds: no more than a loop may walk (<see cref="ChatTemplate.MaxLoopIterations"/>).</summary>
    ListLength,

    /// <summary>Macros calling macros, nested blocks, brackets and operators, nested values (<see cref="ChatTemplate.MaxNestingDepth"/>).</summary>
    NestingDepth,

    /// <summary>Wall time of one render (<see cref="ChatTemplate.MaxRenderTime"/>).</summary>
    RenderTime,

    /// <summary>Estimated bytes of the strings and lists one render builds (<see cref="ChatTemplate.MaxRenderMemory"/>).</summary>
    Memory,
}

/// <summary>A chat template went past one of the bounds of a render (or of parsing, for nesting): it was stopped
/// instead of hanging the session or running it out of memory or stack.</summary>
public sealed class ChatTemplateLimitException : ChatTemplateException
{
    public override string ErrorId => "ChatTemplateLimitExceeded";

    /// <param name="limitValue">The limit's value: iterations, characters, items, levels, milliseconds (RenderTime) or bytes (Memory).</param>
    /// <param name="modelName">The model whose template it is, when known.</param>
    public ChatTemplateLimitException(ChatTemplateLimit limit, long limitValue, string? modelName = null, int line = 0)
        : base(Describe(limit, limitValue, modelName), line)
    {
        Limit = limit;
        LimitValue = limitValue;
        ModelName = modelName;
    }

    public ChatTemplateLimit Limit { get; }

    /// <summary>Iterations, characters, items, levels, milliseconds (RenderTime) or bytes (Memory).</summary>
    public long LimitValue { get; }

    public string? ModelName { get; }

    internal ChatTemplateLimitException With(string? modelName, int line) =>
        new ChatTemplateLimitException(Limit, LimitValue, modelName ?? ModelName, Line > 0 ? Line : line);

    private static string Describe(ChatTemplateLimit limit, long value, string? modelName)
    {
        var who = string.IsNullOrEmpty(modelName) ? "The chat template" : "The chat template of '" + modelName + "'";
        var figure = value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        return limit switch
        {
            ChatTemplateLimit.LoopIterations => who + " ran more than " + figure + " loop iterations (the MaxLoopIterations limit); it was stopped.",
            ChatTemplateLimit.OutputLength => who + " built text longer than " + figure + " characters (the MaxOutputLength limit); it was stopped.",
            ChatTemplateLimit.ListLength => who + " built a list of more than " + figure + " items, more than a loop may walk (the MaxLoopIterations limit); it was stopped.",
            ChatTemplateLimit.NestingDepth => who + " nests deeper than " + figure + " levels (the MaxNestingDepth limit on macros calling macros, blocks, brackets, operators and values); it was stopped.",
            ChatTemplateLimit.RenderTime => who + " took longer than " + figure + " ms to render (the MaxRenderTime limit); it was stopped.",
            ChatTemplateLimit.Memory => who + " built more than " + figure + " bytes of strings and lists (the MaxRenderMemory limit); it was stopped.",
            _ => who + " went past a limit (" + limit + " " + figure + ").",
        };
    }
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

using System.Text;
using BedrockImport.Engine.Errors;

namespace BedrockImport.Engine.Invocation;

/// <summary>The exact prompt a model's own chat template makes of a conversation, and the body Invoke-ImportedModel
/// would send for it, without invoking anything (Get-ImportedModelPrompt).</summary>
public sealed class ImportedModelPrompt
{
    private ImportedModelPrompt(string prompt, bool addGenerationPrompt, string? templateSource, string? bosToken, bool bosTokenDropped,
        IReadOnlyList<ChatMessage> messages, IReadOnlyList<string> tools, InvocationFormat format, string body)
    {
        Prompt = prompt;
        AddGenerationPrompt = addGenerationPrompt;
        TemplateSource = templateSource;
        BosToken = bosToken;
        BosTokenDropped = bosTokenDropped;
        Messages = messages;
        Tools = tools;
        Format = format;
        Body = body;
    }

    /// <summary>The rendered prompt, exactly (after the leading bos_token is dropped, unless KeepBosToken).</summary>
    public string Prompt { get; }

    public bool AddGenerationPrompt { get; }

    /// <summary>Where the template came from: the chat_template.jinja or tokenizer_config.json file (path or S3 URI).</summary>
    public string? TemplateSource { get; }

    /// <summary>The model's bos_token (tokenizer_config.json), or null.</summary>
    public string? BosToken { get; }

    /// <summary>True when the template put bos_token first and the client dropped it: the service's tokenizer adds BOS
    /// itself, so the model still sees exactly one.</summary>
    public bool BosTokenDropped { get; }

    public IReadOnlyList<ChatMessage> Messages { get; }

    /// <summary>The names of the tools passed to the template as <c>tools</c>.</summary>
    public IReadOnlyList<string> Tools { get; }

    public InvocationFormat Format { get; }

    /// <summary>The JSON body Invoke-ImportedModel would send for this request (always with the generation prompt, as it sends).</summary>
    public string Body { get; }

    public override string ToString() => Prompt;

    /// <summary>Renders <paramref name="request"/> (whose ChatTemplate must be set) and builds its body.</summary>
    /// <exception cref="ChatTemplateNotFoundException">The request has no chat template.</exception>
    /// <exception cref="InvocationValidationException">The request is unusable (no prompt, bad messages, bad tools).</exception>
    /// <exception cref="ChatTemplateException">The template failed (or raised an exception for this conversation).</exception>
    public static ImportedModelPrompt Render(InvocationRequest request, bool addGenerationPrompt, string? templateSource)
    {
        if (request == null) throw new ArgumentNullException(nameof(request));
        if (request.ChatTemplate == null)
            throw new ChatTemplateNotFoundException("The model " + (templateSource ?? "") + " has no chat template (neither chat_template.jinja nor "
                + "chat_template in tokenizer_config.json): Invoke-ImportedModel sends messages in the OpenAI chat format, and the service formats them.");
        if (request.Format == InvocationFormat.OpenAIChat)
            throw new InvocationValidationException("The OpenAIChat format sends messages, not a prompt: the service renders them. Use a completion format to see the prompt.", "Format");
        var rendered = InvocationRequestBuilder.RenderPrompt(request, addGenerationPrompt);
        var prepared = InvocationRequestBuilder.Build(request);
        return new ImportedModelPrompt(rendered.Prompt, addGenerationPrompt, templateSource, request.ChatTemplate.BosToken, rendered.DroppedBosToken != null,
            rendered.Messages, request.Tools?.Select(t => t.Name).ToList() ?? new List<string>(), prepared.Format ?? InvocationFormat.BedrockCompletion,
            Encoding.UTF8.GetString(prepared.Body));
    }

    /// <summary>The file a model folder's template is read from (chat_template.jinja wins over tokenizer_config.json, as in <see cref="ChatTemplateSource"/>).</summary>
    public static string TemplateFileName(string? chatTemplateJinja)
        => string.IsNullOrWhiteSpace(chatTemplateJinja) ? ChatTemplateSource.TokenizerConfigFileName : ChatTemplateSource.TemplateFileName;
}

/// <summary>A model source has no chat template where one is needed.</summary>
public sealed class ChatTemplateNotFoundException : Exception, IEngineError
{
    public ChatTemplateNotFoundException(string message) : base(message)
    {
    }

    public string ErrorId => "ChatTemplateNotFound";

    public ErrorKind Kind => ErrorKind.NotFound;
}

using System.Management.Automation;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Wire;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Renders the exact prompt a model's own chat template makes of a conversation (and tools), and the body
/// Invoke-ImportedModel would send, without invoking the model: from an imported model's S3 source (-ModelId) or a
/// local model folder (-Path), so a template can be checked before upload.</summary>
[Cmdlet(VerbsCommon.Get, "ImportedModelPrompt", DefaultParameterSetName = ModelSet)]
[OutputType(typeof(ImportedModelPrompt))]
public sealed class GetImportedModelPromptCommand : AwsCmdlet
{
    private const string ModelSet = "ModelId";
    private const string PathSet = "Path";

    [Parameter(ParameterSetName = ModelSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ModelArn", "ImportedModelArn", "ModelName")]
    [ArgumentCompleter(typeof(ImportedModelNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ModelId { get; set; } = "";

    [Parameter(ParameterSetName = PathSet, Mandatory = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string? Prompt { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Message")]
    public object[]? Messages { get; set; }

    [Parameter]
    public string? SystemPrompt { get; set; }

    [Parameter]
    public object[]? Tool { get; set; }

    /// <summary>On by default, as Invoke-ImportedModel renders (transformers' own default is off).</summary>
    [Parameter]
    public bool AddGenerationPrompt { get; set; } = true;

    [Parameter]
    public SwitchParameter KeepBosToken { get; set; }

    [Parameter]
    [EnumName(typeof(BodyFormat)), ValidateEnumName]
    public BodyFormat? Format { get; set; }

    protected override async Task ProcessRecordAsync()
    {
        var (template, source) = ParameterSetName == PathSet ? ReadFolder() : await ReadModelAsync().ConfigureAwait(false);
        var request = new InvocationRequest
        {
            Format = Format.ToEngine(),
            // A lone prompt is one user message, as -Messages sends it (Invoke-ImportedModel -Prompt alone sends raw text).
            Messages = Messages != null ? Messages.Select(PlainValues.ToChatMessage).ToList() : Prompt != null ? new[] { new ChatMessage(ChatRoles.User, Prompt) } : null,
            Prompt = Messages != null ? Prompt : null,
            SystemPrompt = SystemPrompt,
            Tools = ToolArguments.From(Tool),
            ChatTemplate = template,
            KeepBosToken = KeepBosToken,
        };
        if (request.Messages == null && request.Prompt == null && SystemPrompt == null)
        {
            WriteError(ErrorRecords.Argument("PromptMissing", "Give -Prompt or -Messages.", null));
            return;
        }

        WriteObject(ImportedModelPrompt.Render(request, AddGenerationPrompt, source));
    }

    private (ChatTemplate? Template, string Source) ReadFolder()
    {
        var folder = GetUnresolvedProviderPathFromPSPath(Path);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The model folder '{folder}' does not exist.");
        }

        var jinja = ReadIfPresent(System.IO.Path.Combine(folder, ChatTemplateSource.TemplateFileName));
        var tokenizerConfig = ReadIfPresent(System.IO.Path.Combine(folder, ChatTemplateSource.TokenizerConfigFileName));
        return (ChatTemplateSource.Read(jinja, tokenizerConfig, folder), System.IO.Path.Combine(folder, ImportedModelPrompt.TemplateFileName(jinja)));
    }

    private static string? ReadIfPresent(string file) => File.Exists(file) ? File.ReadAllText(file) : null;

    private async Task<(ChatTemplate? Template, string Source)> ReadModelAsync()
    {
        var session = ResolveSession();
        using var invoker = new ImportedModelInvoker(session, new RetryOptions(), Log);
        var arn = await invoker.ResolveModelArnAsync(ModelId, CancellationToken).ConfigureAwait(false);
        var template = await invoker.GetChatTemplateAsync(arn, CancellationToken).ConfigureAwait(false);
        using var control = new BedrockControlClient(session, log: Log);
        var model = await control.GetImportedModelAsync(arn, CancellationToken).ConfigureAwait(false);
        var folder = model.S3Uri ?? arn;
        var file = template?.SourceFile ?? ChatTemplateSource.TemplateFileName;
        return (template, folder.TrimEnd('/') + "/" + file);
    }
}

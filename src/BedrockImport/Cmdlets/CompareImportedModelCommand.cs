using System.Management.Automation;
using BedrockImport.Engine.Comparison;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Wire;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Sends the same greedy prompts to a model folder's weights (on this machine's CPU, in a private local
/// endpoint) and to the imported model in Bedrock, and reports per prompt whether the completions agree and after how
/// many tokens they part.</summary>
[Cmdlet(VerbsData.Compare, "ImportedModel", SupportsShouldProcess = true)]
[OutputType(typeof(ModelComparisonResult))]
public sealed class CompareImportedModelCommand : AwsCmdlet
{
    /// <summary>The model folder that was imported (config.json, tokenizer.json, safetensors).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("ModelArn", "ImportedModelArn", "ModelName")]
    [ArgumentCompleter(typeof(ImportedModelNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ModelId { get; set; } = "";

    /// <summary>Completion prompts; a few built-in ones when omitted.</summary>
    [Parameter(Position = 2, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Prompt { get; set; }

    [Parameter]
    [ValidateRange(1, 4096)]
    public int MaxTokens { get; set; } = 32;

    /// <summary>Seconds to keep retrying while either side loads the model (ModelNotReadyException).</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int MaxColdStartWait { get; set; } = 600;

    [Parameter]
    [ValidateRange(1, 600)]
    public int StartTimeoutSec { get; set; } = 60;

    private LocalModelHost? _local;
    private string? _localFolder;
    private ImportedModelInvoker? _localInvoker;
    private ImportedModelInvoker? _remote;

    protected override async Task ProcessRecordAsync()
    {
        var folder = GetUnresolvedProviderPathFromPSPath(Path);
        var prompts = Prompt ?? ModelComparer.DefaultPrompts.ToArray();
        if (!await ShouldProcessAsync(ModelId,
                $"Compare with the weights in '{folder}': {prompts.Length} greedy prompt(s) of at most {MaxTokens} tokens on this CPU and in Bedrock").ConfigureAwait(false))
        {
            return;
        }

        try
        {
            // The model is looked up first: a name of no model fails before a local engine starts.
            var arn = await RemoteInvoker().ResolveModelArnAsync(ModelId, CancellationToken).ConfigureAwait(false);
            var comparer = await ComparerForAsync(folder).ConfigureAwait(false);
            foreach (var prompt in prompts)
            {
                WriteObject(await comparer.CompareAsync(arn, prompt, MaxTokens, CancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            // -ErrorAction Stop turns any error into one that skips EndProcessing: the engine process goes now.
            await StopLocalAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override async Task EndProcessingAsync()
    {
        await StopLocalAsync().ConfigureAwait(false);
        _remote?.Dispose();
        _remote = null;
    }

    protected override void StopProcessing()
    {
        base.StopProcessing();
        StopLocalAsync().GetAwaiter().GetResult();
    }

    private async Task<ModelComparer> ComparerForAsync(string folder)
    {
        var retry = Retry();
        if (_local == null || _localFolder != folder)
        {
            await StopLocalAsync().ConfigureAwait(false);
            var endpointAssembly = ModuleFolder.LocalEndpointAssembly;
            _local = await LocalModelHost.StartAsync(endpointAssembly, folder, Log, TimeSpan.FromSeconds(StartTimeoutSec), CancellationToken).ConfigureAwait(false);
            _localFolder = folder;
            _localInvoker = new ImportedModelInvoker(_local.Session, retry, Log);
        }

        return new ModelComparer(_local, _localInvoker!, RemoteInvoker());
    }

    private RetryOptions Retry()
        => new RetryOptions { ColdStartBudget = TimeSpan.FromSeconds(MaxColdStartWait), OnColdStartWait = wait => WriteVerbose(wait.Message) };

    private ImportedModelInvoker RemoteInvoker() => _remote ??= new ImportedModelInvoker(ResolveSession(), Retry(), Log);

    private async Task StopLocalAsync()
    {
        var local = Interlocked.Exchange(ref _local, null);
        _localInvoker?.Dispose();
        _localInvoker = null;
        if (local != null)
        {
            await local.DisposeAsync().ConfigureAwait(false);
        }
    }

    protected override bool IsTerminating(Exception exception)
        => base.IsTerminating(exception) || exception is LocalModelException || exception is FileNotFoundException;

    protected override ErrorRecord? ToErrorRecord(Exception exception)
        => ErrorRecords.From(exception, exception is LocalModelException ? Path : ModelId, Redact);
}

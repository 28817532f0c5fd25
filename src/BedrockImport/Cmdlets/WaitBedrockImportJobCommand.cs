using System.Management.Automation;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Import;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Waits for model import jobs to end, like Wait-Job: outputs the imported model of each completed job;
/// a failed job is a non-terminating error carrying the service's failure message.</summary>
[Cmdlet(VerbsLifecycle.Wait, "BedrockImportJob")]
[OutputType(typeof(ImportedModel))]
public sealed class WaitBedrockImportJobCommand : AwsCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("JobArn", "JobName", "Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ImportJobNameCompleter))]
    public string[] JobIdentifier { get; set; } = Array.Empty<string>();

    /// <summary>Seconds to wait in all; -1 (default) waits until every job ends. Jobs still running are not output.</summary>
    [Parameter]
    [Alias("TimeoutSec")]
    [ValidateRange(-1, int.MaxValue)]
    public int Timeout { get; set; } = -1;

    /// <summary>Longest pause between polls, in seconds (polls start every 2 s and slow down to this).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int PollingIntervalSec { get; set; } = 30;

    /// <summary>Bound from an imported model in the pipeline (what Start-BedrockModelImport outputs when it reuses a model):
    /// that model is output as it is now, without waiting.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ModelArn { get; set; }

    private readonly List<string> _jobs = new List<string>();
    private readonly List<string> _models = new List<string>();
    private readonly Dictionary<string, int> _progressIds = new Dictionary<string, int>(StringComparer.Ordinal);

    protected override Task ProcessRecordAsync()
    {
        if (!string.IsNullOrEmpty(ModelArn))
        {
            _models.Add(ModelArn!);
        }
        else
        {
            _jobs.AddRange(JobIdentifier);
        }

        return Task.CompletedTask;
    }

    protected override async Task EndProcessingAsync()
    {
        if (_jobs.Count == 0 && _models.Count == 0)
        {
            return;
        }

        using var client = new BedrockControlClient(ResolveSession(), log: Log);
        foreach (var model in _models.Distinct(StringComparer.Ordinal))
        {
            WriteObject(await client.GetImportedModelAsync(model, CancellationToken).ConfigureAwait(false));
        }

        if (_jobs.Count == 0)
        {
            return;
        }

        var waiter = new ImportJobWaiter(client.GetModelImportJobAsync) { MaxInterval = TimeSpan.FromSeconds(PollingIntervalSec) };
        var stillRunning = await waiter.WaitAsync(_jobs, Timeout < 0 ? (TimeSpan?)null : TimeSpan.FromSeconds(Timeout),
            (job, elapsed) => WriteProgress(Progress(job, $"{job.Status} for {elapsed:hh\\:mm\\:ss}", completed: false)),
            async job =>
            {
                WriteProgress(Progress(job, job.Status ?? "", completed: true));
                if (string.Equals(job.Status, "Failed", StringComparison.OrdinalIgnoreCase))
                {
                    var message = $"Model import job '{job.JobName}' failed: {job.FailureMessage ?? "the service gave no reason."}";
                    WriteError(new ErrorRecord(new BedrockImportException(message, null), "ImportJobFailed", ErrorCategory.InvalidResult, job));
                    return;
                }

                ImportedModelNameCompleter.ForgetNames();
                WriteObject(await client.GetImportedModelAsync(job.ImportedModelArn ?? job.ImportedModelName ?? "", CancellationToken).ConfigureAwait(false));
            },
            CancellationToken).ConfigureAwait(false);

        foreach (var job in stillRunning)
        {
            WriteProgress(Progress(job, "still " + job.Status, completed: true));
            WriteWarning($"Model import job '{job.JobName}' is still {job.Status} after {Timeout} s.");
        }
    }

    private ProgressRecord Progress(ModelImportJob job, string status, bool completed)
    {
        var key = job.JobArn ?? job.JobName ?? "";
        if (!_progressIds.TryGetValue(key, out var id))
        {
            id = _progressIds[key] = 0x4A0B + _progressIds.Count;
        }

        return new ProgressRecord(id, $"Importing model '{job.ImportedModelName}' (job {job.JobName})", string.IsNullOrEmpty(status) ? "waiting" : status)
        {
            RecordType = completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
    }
}

using System.Management.Automation;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Infrastructure;

/// <summary>Base of the cmdlets that send requests to Bedrock Runtime (Invoke-ImportedModel, Enter-ImportedModelChat,
/// Invoke-ImportedModelEvaluation): which API, how long a cold model is waited for, and one invoker per session
/// whose cold-start waits show as one progress line.</summary>
public abstract class RuntimeCmdlet : AwsCmdlet
{
    /// <summary>Seconds to keep retrying while a cold model loads (ModelNotReadyException).</summary>
    [Parameter]
    [Alias("MaxColdStartWaitSec")]
    [ValidateRange(0, 86400)]
    public int MaxColdStartWait { get; set; } = 600;

    /// <summary>InvokeModel or Converse; not given: InvokeModel for an imported model, Converse for anything else.</summary>
    [Parameter]
    [EnumName(typeof(InvocationApi)), ValidateEnumName]
    public InvocationApi? Api { get; set; }

    private const int ColdStartProgressId = 0x1C0D;
    private ImportedModelInvoker? _invoker;
    private string? _invokerKey;
    private int _coldStartShown;

    /// <summary>The invoker for the session of the current record (a new one when credentials, region or endpoint changed).</summary>
    protected ImportedModelInvoker Invoker(int maximumRetryCount)
    {
        var session = ResolveSession();
        var key = string.Join("|", session.ResolveEndpoint(AwsService.BedrockRuntime), session.Region, session.CredentialSource);
        if (_invoker != null && key == _invokerKey)
        {
            return _invoker;
        }

        _invoker?.Dispose();
        var retry = new RetryOptions
        {
            MaxAttempts = maximumRetryCount + 1,
            ColdStartBudget = TimeSpan.FromSeconds(MaxColdStartWait),
            OnColdStartWait = wait =>
            {
                Interlocked.Exchange(ref _coldStartShown, 1);
                WriteVerbose(wait.Message);
                WriteProgress(new ProgressRecord(ColdStartProgressId, "Waiting for the imported model",
                    $"The model is loading (cold start): waited {wait.Elapsed.TotalSeconds:F0} s of at most {wait.Budget.TotalSeconds:F0} s")
                {
                    PercentComplete = wait.PercentOfBudget,
                });
            },
        };
        _invokerKey = key;
        return _invoker = new ImportedModelInvoker(session, retry, Log);
    }

    /// <summary>Closes the cold-start progress line once an answer came.</summary>
    protected void ColdStartOver()
    {
        if (Interlocked.Exchange(ref _coldStartShown, 0) == 1)
        {
            WriteProgress(new ProgressRecord(ColdStartProgressId, "Waiting for the imported model", "Ready") { RecordType = ProgressRecordType.Completed });
        }
    }
}

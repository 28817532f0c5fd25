namespace BedrockImport.Engine.Wire;

/// <summary>Reported through RetryOptions.OnColdStartWait each time the policy waits for a loading model
/// (ModelNotReadyException). Raised on the thread that runs the request, not the PowerShell pipeline thread.</summary>
public sealed class ColdStartWait
{
    public ColdStartWait(string operation, int attempt, TimeSpan delay, TimeSpan elapsed, TimeSpan budget, string message)
    {
        Operation = operation;
        Attempt = attempt;
        Delay = delay;
        Elapsed = elapsed;
        Budget = budget;
        Message = message;
    }

    /// <summary>e.g. InvokeModel.</summary>
    public string Operation { get; }
    /// <summary>How many ModelNotReadyException answers so far (1 on the first wait).</summary>
    public int Attempt { get; }
    /// <summary>The wait that starts now.</summary>
    public TimeSpan Delay { get; }
    /// <summary>Time since the first ModelNotReadyException.</summary>
    public TimeSpan Elapsed { get; }
    public TimeSpan Budget { get; }
    /// <summary>The same line written to Verbose.</summary>
    public string Message { get; }

    /// <summary>0..100, for a progress bar.</summary>
    public int PercentOfBudget => Budget <= TimeSpan.Zero ? 100 : (int)Math.Min(100, Elapsed.Ticks * 100 / Budget.Ticks);
}

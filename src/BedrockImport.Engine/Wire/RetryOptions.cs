namespace BedrockImport.Engine.Wire;

/// <summary>The one retry policy's settings (see RetryPolicy).</summary>
public sealed class RetryOptions
{
    /// <summary>Attempts in all for throttling, 5xx and network errors (first try included).</summary>
    public int MaxAttempts { get; set; } = 5;
    /// <summary>Base of the exponential backoff for throttling.</summary>
    public TimeSpan ThrottleBaseDelay { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Base of the exponential backoff for transient (5xx, network) errors.</summary>
    public TimeSpan TransientBaseDelay { get; set; } = TimeSpan.FromMilliseconds(50);
    /// <summary>Cap of one backoff delay.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(20);
    /// <summary>How long ModelNotReadyException (cold start) is retried, in all.</summary>
    public TimeSpan ColdStartBudget { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>Cap of one backoff delay while the model is loading.</summary>
    public TimeSpan ColdStartMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>First wait after ModelNotReadyException; doubles up to ColdStartMaxDelay (with half jitter).</summary>
    public TimeSpan ColdStartBaseDelay { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>Timeout of one HTTP attempt (for a response stream: until its headers arrive). A timed-out attempt is retried as transient.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Called before each cold-start wait (e.g. to show a progress line). Exceptions thrown by it are logged and ignored.</summary>
    public Action<ColdStartWait>? OnColdStartWait { get; set; }
}

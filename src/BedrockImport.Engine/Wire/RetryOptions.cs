using System;

namespace BedrockImport.Engine.Wire
{
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
    }
}

namespace BedrockImport.Engine.Errors;

/// <summary>How the one retry policy treats a failure.</summary>
public enum RetryClass
{
    None,
    Throttling,
    Transient,
    /// <summary>A cold imported model: its own, longer budget.</summary>
    ColdStart,
}

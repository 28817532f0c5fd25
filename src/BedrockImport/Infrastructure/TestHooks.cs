namespace BedrockImport.Infrastructure;

/// <summary>Seams for tests of the built module (set from Pester): never set in normal use.</summary>
public static class TestHooks
{
    /// <summary>When set, the clock the cmdlets read instead of the system clock (e.g. to cross a month boundary).</summary>
    public static DateTimeOffset? UtcNow { get; set; }

    internal static DateTimeOffset Now => UtcNow ?? DateTimeOffset.UtcNow;
}

namespace BedrockImport.Engine.Diagnostics;

/// <summary>Where the engine reports what it does. Cmdlets route these to Write-Verbose / Write-Debug / Write-Warning.
/// Implementations may be called from any thread. Never pass a secret.</summary>
public interface IEngineLog
{
    void Verbose(string message);
    void Debug(string message);
    void Warning(string message);
}

public sealed class NullEngineLog : IEngineLog
{
    public static readonly NullEngineLog Instance = new NullEngineLog();
    public void Verbose(string message) { }
    public void Debug(string message) { }
    public void Warning(string message) { }
}

namespace BedrockImport.Engine.Credentials;

/// <summary>Environment variables, injectable so tests never touch the process environment.</summary>
public interface IEnvironment
{
    string? Get(string name);
}

public sealed class ProcessEnvironment : IEnvironment
{
    public static readonly ProcessEnvironment Instance = new ProcessEnvironment();
    public string? Get(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrEmpty(value) ? null : value;
    }
}

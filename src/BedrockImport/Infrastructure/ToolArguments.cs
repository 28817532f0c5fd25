using BedrockImport.Engine.Invocation;

namespace BedrockImport.Infrastructure;

/// <summary>-Tool values (hashtables, PSCustomObjects such as ConvertFrom-Json gives, JSON strings) as engine tool
/// definitions: PowerShell objects are turned into plain dictionaries and lists, the engine reads every shape.</summary>
internal static class ToolArguments
{
    /// <summary>Null when no tool was given.</summary>
    /// <exception cref="InvocationValidationException">A tool is malformed (no name, schema not an object, ...).</exception>
    public static IReadOnlyList<ToolDefinition>? From(object[]? tools)
        => tools == null || tools.Length == 0 ? null : ToolDefinition.FromMany(tools.Select(PlainValues.From).ToList());
}

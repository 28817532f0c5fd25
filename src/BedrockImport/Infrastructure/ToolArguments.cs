using System.Collections;
using System.Collections.Specialized;
using System.Management.Automation;
using BedrockImport.Engine.Invocation;

namespace BedrockImport.Infrastructure;

/// <summary>-Tool values (hashtables, PSCustomObjects such as ConvertFrom-Json gives, JSON strings) as engine tool
/// definitions: PowerShell objects are turned into plain dictionaries and lists, the engine reads every shape.</summary>
internal static class ToolArguments
{
    /// <summary>Null when no tool was given.</summary>
    /// <exception cref="InvocationValidationException">A tool is malformed (no name, schema not an object, ...).</exception>
    public static IReadOnlyList<ToolDefinition>? From(object[]? tools)
        => tools == null || tools.Length == 0 ? null : ToolDefinition.FromMany(tools.Select(Plain).ToList());

    private static object? Plain(object? value)
    {
        value = value is PSObject wrapped && !(wrapped.BaseObject is PSCustomObject) ? wrapped.BaseObject : value;
        switch (value)
        {
            case null:
            case string:
            case ValueType:
                return value;
            case IDictionary map:
                var dictionary = new OrderedDictionary();
                foreach (DictionaryEntry entry in map)
                {
                    dictionary[entry.Key.ToString() ?? ""] = Plain(entry.Value);
                }

                return dictionary;
            case IEnumerable items:
                return items.Cast<object?>().Select(Plain).ToList();
            default:
                var properties = new OrderedDictionary();
                foreach (var property in PSObject.AsPSObject(value).Properties)
                {
                    properties[property.Name] = Plain(property.Value);
                }

                return properties;
        }
    }
}

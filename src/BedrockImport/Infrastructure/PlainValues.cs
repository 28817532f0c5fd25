using System.Collections;
using System.Collections.Specialized;
using System.Management.Automation;
using BedrockImport.Engine.Invocation;

namespace BedrockImport.Infrastructure;

/// <summary>PowerShell values (hashtables, PSCustomObjects such as ConvertFrom-Json gives, arrays, wrapped objects) as
/// plain ordered dictionaries, lists and scalars, for System.Text.Json and the engine. A PSCustomObject is read through
/// its PSObject wrapper: its base object is an empty placeholder that carries none of its properties.</summary>
internal static class PlainValues
{
    public static object? From(object? value)
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
                    dictionary[entry.Key.ToString() ?? ""] = From(entry.Value);
                }

                return dictionary;
            case IEnumerable items:
                return items.Cast<object?>().Select(From).ToList();
            default:
                var properties = new OrderedDictionary();
                foreach (var property in PSObject.AsPSObject(value).Properties)
                {
                    properties[property.Name] = From(property.Value);
                }

                return properties;
        }
    }

    /// <summary>A -Messages item (a hashtable, or any object with role and content properties) as a chat message.</summary>
    /// <exception cref="InvocationValidationException">role or content is missing.</exception>
    public static ChatMessage ToChatMessage(object message)
    {
        var value = message is PSObject wrapped ? wrapped.BaseObject : message;
        if (value is IDictionary map)
        {
            return ChatMessage.FromDictionary(map);
        }

        var properties = PSObject.AsPSObject(message).Properties;
        return ChatMessage.FromDictionary(new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["role"] = properties["role"]?.Value,
            ["content"] = properties["content"]?.Value,
        });
    }
}

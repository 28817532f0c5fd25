using System.Collections.Specialized;
using System.Text.Json;
using BedrockImport.Shared;

namespace BedrockImport.Engine.Invocation;

/// <summary>One step of a path into a JSON answer: a member name or an array index.</summary>
internal readonly struct JsonStep
{
    private JsonStep(string? name, int index)
    {
        Name = name;
        Index = index;
    }

    public string? Name { get; }
    public int Index { get; }

    public static implicit operator JsonStep(string name) => new JsonStep(name, 0);
    public static implicit operator JsonStep(int index) => new JsonStep(null, index);
}

/// <summary>Small readers over a model's JSON answer. Every lookup is optional: unknown shapes give null.
/// Paths are spans of steps, so the lookups made for every stream chunk allocate nothing.</summary>
internal static class ResponseJson
{
    public static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object) return null;
        return element.TryGetProperty(name, out var value) ? value : (JsonElement?)null;
    }

    public static JsonElement? Path(JsonElement element, params ReadOnlySpan<JsonStep> path)
    {
        JsonElement current = element;
        foreach (var step in path)
        {
            if (step.Name is string name)
            {
                var next = Property(current, name);
                if (next == null) return null;
                current = next.Value;
            }
            else
            {
                var index = step.Index;
                if (current.ValueKind != JsonValueKind.Array || current.GetArrayLength() <= index) return null;
                current = current[index];
            }
        }
        return current;
    }

    public static string? String(JsonElement element, params ReadOnlySpan<JsonStep> path)
    {
        var value = Path(element, path);
        return value?.ValueKind == JsonValueKind.String ? value.Value.GetString() : null;
    }

    /// <summary>A string, or the concatenated "text" of an array of content parts ([{type:"text", text:...}]).</summary>
    public static string? Text(JsonElement element, params ReadOnlySpan<JsonStep> path)
    {
        var value = Path(element, path);
        if (value == null) return null;
        if (value.Value.ValueKind == JsonValueKind.String) return value.Value.GetString();
        if (value.Value.ValueKind != JsonValueKind.Array) return null;
        string? text = null;
        foreach (var part in value.Value.EnumerateArray())
        {
            var partText = String(part, "text");
            if (partText != null) text += partText;
        }
        return text;
    }

    public static int? Int(JsonElement element, params ReadOnlySpan<JsonStep> path)
    {
        var value = Path(element, path);
        if (value?.ValueKind != JsonValueKind.Number) return null;
        if (value.Value.TryGetInt32(out var number)) return number;
        return value.Value.TryGetDouble(out var real) && real >= int.MinValue && real <= int.MaxValue ? (int)real : (int?)null;
    }

    /// <summary>The JSON as plain objects for PowerShell: OrderedDictionary, object?[], string, long, double, bool, null.</summary>
    public static object? ToPlain(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var map = new OrderedDictionary();
                foreach (var property in element.EnumerateObject()) map[property.Name] = ToPlain(property.Value);
                return map;
            case JsonValueKind.Array:
                var items = new object?[element.GetArrayLength()];
                var i = 0;
                foreach (var item in element.EnumerateArray()) items[i++] = ToPlain(item);
                return items;
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                return element.TryGetInt64(out var whole) ? whole : (object)element.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    public static JsonDocument ParseDocument(byte[] body, string what)
    {
        if (body == null || body.Length == 0)
            throw new InvocationResponseFormatException("The " + what + " is empty; expected a JSON object.");
        try
        {
            return StrictJson.Parse(body);
        }
        catch (JsonException e)
        {
            throw new InvocationResponseFormatException("The " + what + " is not valid JSON: " + e.Message + " Starts with: " + Excerpt(body), e);
        }
    }

    private static string Excerpt(byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body, 0, System.Math.Min(body.Length, 120));
        return text.Length < body.Length ? text + "…" : text;
    }
}

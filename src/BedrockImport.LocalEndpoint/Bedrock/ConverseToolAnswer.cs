using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>A stand-in foundation model's deterministic tool call (README "Tools"): the request has toolConfig and
/// either toolChoice asks for a tool (any: the first tool the last user message names, else the first tool; tool: that
/// one), or toolChoice is auto (or absent) and the last user message names a tool (its name, or its name with '_' and
/// '-' read as spaces, in any case). The input fills the schema's required properties: a string with its enum's first
/// value or the last word of the last user message, an integer or number with its minimum (else 1), a boolean true,
/// an array [] and an object {}. The toolUseId is "tooluse_" and 24 hex digits of SHA-256(model id, tool, message).</summary>
internal sealed record ConverseToolAnswer(string ToolUseId, string Name, JsonObject Input)
{
    public static ConverseToolAnswer? Decide(ConverseRequest request, string modelId)
    {
        if (request.Tools is not { Count: > 0 } tools) return null;
        var message = request.LastUserText;
        var named = tools.FirstOrDefault(t => Names(message, t.Name));
        var tool = request.ToolChoice switch
        {
            "any" => named ?? tools[0],
            null or "auto" => named,
            var name => tools.First(t => t.Name == name),
        };
        if (tool == null) return null;
        return new ConverseToolAnswer(Id(modelId, tool.Name, message), tool.Name, FillInput(tool.Parameters, message));
    }

    /// <summary>The input JSON as streamed: fragments of at most 8 characters, as the service splits it arbitrarily.</summary>
    public IEnumerable<string> InputFragments()
    {
        var json = Input.ToJsonString();
        for (var i = 0; i < json.Length; i += 8)
            yield return json.Substring(i, Math.Min(8, json.Length - i));
    }

    public JsonObject ToContentBlock() => new()
    {
        ["toolUse"] = new JsonObject { ["toolUseId"] = ToolUseId, ["name"] = Name, ["input"] = Input.DeepClone() },
    };

    private static bool Names(string message, string toolName)
        => message.Contains(toolName, StringComparison.OrdinalIgnoreCase)
           || message.Contains(toolName.Replace('_', ' ').Replace('-', ' '), StringComparison.OrdinalIgnoreCase);

    private static string Id(string modelId, string tool, string message)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(modelId + "\n" + tool + "\n" + message));
        return "tooluse_" + Convert.ToHexString(hash, 0, 12).ToLowerInvariant();
    }

    private static JsonObject FillInput(JsonObject schema, string message)
    {
        var input = new JsonObject();
        var properties = schema["properties"] as JsonObject;
        if (schema["required"] is not JsonArray required) return input;
        foreach (var name in required.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var s) ? s : null).Where(s => s != null))
            input[name!] = Value(properties?[name!] as JsonObject, message);
        return input;
    }

    private static JsonNode Value(JsonObject? property, string message)
    {
        if (property?["enum"] is JsonArray { Count: > 0 } choices) return choices[0]!.DeepClone();
        var type = property?["type"] is JsonValue t && t.TryGetValue<string>(out var name) ? name : "string";
        var minimum = property?["minimum"] as JsonValue;
        return type switch
        {
            "integer" => minimum != null && minimum.TryGetValue<double>(out var low) ? JsonValue.Create((long)Math.Ceiling(low)) : JsonValue.Create(1L),
            "number" => minimum != null && minimum.TryGetValue<double>(out var least) ? JsonValue.Create(least) : JsonValue.Create(1.0),
            "boolean" => JsonValue.Create(true),
            "array" => new JsonArray(),
            "object" => new JsonObject(),
            _ => JsonValue.Create(LastWord(message)),
        };
    }

    /// <summary>"What is the weather in Paris?" → "Paris"; a message with no word characters at its end → the whole message, trimmed.</summary>
    internal static string LastWord(string message)
    {
        var words = message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var last = words.Length == 0 ? "" : new string(words[^1].Where(char.IsLetterOrDigit).ToArray());
        return last.Length > 0 ? last : message.Trim();
    }
}

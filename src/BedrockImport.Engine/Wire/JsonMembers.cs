using System.Text.Json;

namespace BedrockImport.Engine.Wire;

/// <summary>Lenient reads of one member of a JSON object (error documents, event payloads): null when absent or of another type.</summary>
internal static class JsonMembers
{
    public static string? String(JsonElement? element, string name)
        => element is JsonElement json && json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static int? Int(JsonElement? element, string name)
        => element is JsonElement json && json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value)
           && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : (int?)null;

    /// <summary>The error message of an AWS error document: "message" (rest-json) or "Message" (JSON 1.1, S3).</summary>
    public static string? Message(JsonElement? element) => String(element, "message") ?? String(element, "Message");
}

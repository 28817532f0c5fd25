using System.Buffers;
using System.Text.Json;

namespace BedrockImport.Shared;

/// <summary>JsonDocument.Parse with the check it leaves to the first read: every string and property name must decode to
/// UTF-16. JsonDocument accepts invalid UTF-8 and unpaired \u surrogate escapes inside strings, and GetString or
/// JsonProperty.Name then throws InvalidOperationException; here such a document is a JsonException like any other
/// malformed JSON, so each reader's existing catch turns it into that reader's format error.
/// (Compiled into both the engine and the inference assembly, which do not reference each other.)</summary>
internal static class StrictJson
{
    /// <exception cref="JsonException">The text is not JSON, or one of its strings is not valid Unicode.</exception>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8Json, JsonDocumentOptions options = default)
    {
        ThrowIfUndecodable(utf8Json.Span, options);
        return JsonDocument.Parse(utf8Json, options);
    }

    /// <summary>The same check for text already in UTF-16, where only unpaired \u surrogate escapes can fail to decode.</summary>
    /// <exception cref="JsonException">The text is not JSON, or one of its strings is not valid Unicode.</exception>
    public static JsonDocument Parse(string json, JsonDocumentOptions options = default)
        => Parse(System.Text.Encoding.UTF8.GetBytes(json), options);

    private static void ThrowIfUndecodable(ReadOnlySpan<byte> utf8Json, JsonDocumentOptions options)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions
        {
            AllowTrailingCommas = options.AllowTrailingCommas,
            CommentHandling = options.CommentHandling,
            MaxDepth = options.MaxDepth,
        });
        char[]? buffer = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName)) continue;
                var value = reader.ValueSpan;
                if (!reader.ValueIsEscaped && IsAscii(value)) continue;
                if (buffer == null || buffer.Length < value.Length)
                {
                    if (buffer != null) ArrayPool<char>.Shared.Return(buffer);
                    buffer = ArrayPool<char>.Shared.Rent(value.Length);
                }
                try
                {
                    // Transcodes (and unescapes) without allocating a string; throws on what GetString would throw on.
                    reader.CopyString(buffer);
                }
                catch (InvalidOperationException e)
                {
                    throw new JsonException("A " + (reader.TokenType == JsonTokenType.PropertyName ? "property name" : "string")
                        + " at byte " + reader.TokenStartIndex + " is not valid Unicode (invalid UTF-8, or an unpaired \\u surrogate escape).", e);
                }
            }
        }
        finally
        {
            if (buffer != null) ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private static bool IsAscii(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b >= 0x80) return false;
        }
        return true;
    }
}

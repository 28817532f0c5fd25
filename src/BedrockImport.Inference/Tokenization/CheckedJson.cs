using System.Text.Json;
using BedrockImport.Shared;

namespace BedrockImport.Inference.Tokenization;

/// <summary>
/// A checked view of one JSON value of a tokenizer file: every accessor says which file and which path is wrong when
/// the shape is not the expected one, so malformed files fail with a <see cref="TokenizerFormatException"/>.
/// </summary>
internal readonly struct CheckedJson
{
    private readonly JsonElement element;

    public CheckedJson(string file, string path, JsonElement element)
    {
        File = file;
        Path = path;
        this.element = element;
    }

    public string File { get; }
    public string Path { get; }
    public JsonValueKind Kind => element.ValueKind;
    public bool IsNull => element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    public TokenizerFormatException Error(string problem) =>
        new(File, Path.Length == 0 ? problem : $"{Path}: {problem}");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private CheckedJson Expect(JsonValueKind kind)
    {
        if (element.ValueKind != kind)
        {
            throw Error($"expected {Describe(kind)}, found {Describe(element.ValueKind)}");
        }
        return this;
    }

    /// <summary>The property, or a null node when it is absent.</summary>
    public CheckedJson this[string name]
    {
        get
        {
            Expect(JsonValueKind.Object);
            var childPath = Path.Length == 0 ? name : $"{Path}.{name}";
            return element.TryGetProperty(name, out var child) ? new CheckedJson(File, childPath, child) : new CheckedJson(File, childPath, default);
        }
    }

    public bool Has(string name) => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var child) && child.ValueKind != JsonValueKind.Null;

    public string GetString(int maxLength)
    {
        var value = Expect(JsonValueKind.String).element.GetString()!;
        if (value.Length > maxLength)
        {
            throw Error($"a string of {value.Length} characters is longer than the limit of {maxLength}");
        }
        return value;
    }

    public string? GetOptionalString(int maxLength) => IsNull ? null : GetString(maxLength);

    public bool GetBool(bool defaultValue)
    {
        if (IsNull) return defaultValue;
        return element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"expected a boolean, found {Describe(element.ValueKind)}"),
        };
    }

    public int GetInt(int min, int max)
    {
        Expect(JsonValueKind.Number);
        if (!element.TryGetInt64(out var value) || value < min || value > max)
        {
            throw Error($"expected an integer from {min} to {max}, found {element.GetRawText()}");
        }
        return (int)value;
    }

    public int GetOptionalInt(int min, int max, int defaultValue) => IsNull ? defaultValue : GetInt(min, max);

    public int ArrayLength(int maxLength)
    {
        var length = Expect(JsonValueKind.Array).element.GetArrayLength();
        if (length > maxLength)
        {
            throw Error($"{length} entries are more than the limit of {maxLength}");
        }
        return length;
    }

    public IEnumerable<CheckedJson> Items(int maxLength)
    {
        ArrayLength(maxLength);
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            yield return new CheckedJson(File, $"{Path}[{index++}]", item);
        }
    }

    public IEnumerable<(string Name, CheckedJson Value)> Properties(int maxCount)
    {
        Expect(JsonValueKind.Object);
        var count = 0;
        foreach (var property in element.EnumerateObject())
        {
            if (++count > maxCount)
            {
                throw Error($"more entries than the limit of {maxCount}");
            }
            var childPath = Path.Length == 0 ? property.Name : $"{Path}.{property.Name}";
            yield return (property.Name, new CheckedJson(File, childPath, property.Value));
        }
    }

    public string TypeName(int maxLength = 64) => this["type"].GetString(maxLength);

    /// <summary>Reads a whole JSON file within the size bound.</summary>
    public static JsonDocument ParseFile(string file, long maxBytes)
    {
        FileInfo info;
        try
        {
            info = new FileInfo(file);
            if (!info.Exists)
            {
                throw new TokenizerFormatException(file, "the file does not exist");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TokenizerFormatException(file, $"the file cannot be read: {ex.Message}", ex);
        }
        if (info.Length > maxBytes)
        {
            throw new TokenizerFormatException(file, $"the file has {info.Length} bytes, more than the limit of {maxBytes}");
        }
        try
        {
            var bytes = System.IO.File.ReadAllBytes(file);
            return StrictJson.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new TokenizerFormatException(file, $"the file is not valid JSON: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerFormatException(file, $"the file cannot be read: {ex.Message}", ex);
        }
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace BedrockImport.Engine.Json;

/// <summary>The one set of JSON options for every wire shape (camelCase on the wire, PascalCase in .NET).</summary>
public static class EngineJson
{
    public static readonly JsonSerializerOptions Options = Create();

    /// <summary>The same for AWS JSON 1.1 services, whose members go on the wire as the service model names them (PascalCase).</summary>
    public static readonly JsonSerializerOptions AwsJsonOptions = new JsonSerializerOptions(Options) { PropertyNamingPolicy = null };

    /// <summary>The same, for files people read (a saved chat): indented, and non-ASCII text kept as it is.</summary>
    public static readonly JsonSerializerOptions FileOptions = new JsonSerializerOptions(Options)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            // Generated metadata for the control-plane shapes first (read with these options, not the context's own);
            // reflection for everything else.
            TypeInfoResolver = JsonTypeInfoResolver.Combine(EngineJsonContext.Default, new DefaultJsonTypeInfoResolver()),
        };
        return options;
    }
}

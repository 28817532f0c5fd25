using System.Text.Json;
using System.Text.Json.Serialization;

namespace BedrockImport.Engine.Json
{
    /// <summary>The one set of JSON options for every wire shape (camelCase on the wire, PascalCase in .NET).</summary>
    public static class EngineJson
    {
        public static readonly JsonSerializerOptions Options = Create();

        private static JsonSerializerOptions Create()
        {
            var options = new JsonSerializerOptions
            {
                PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
                PropertyNameCaseInsensitive = true,
                DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            };
            return options;
        }
    }
}

namespace BedrockImport.Inference;

/// <summary>What this engine can run; the endpoint reports it for each imported model.</summary>
public static class InferenceInfo
{
    /// <summary>The config.json model_type values of the Llama-family shape this engine executes.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = new[] { "llama", "mistral", "mixtral", "qwen2", "qwen3" };
}

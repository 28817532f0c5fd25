namespace BedrockImport.LocalEndpoint.Knobs;

public sealed partial class BedrockKnobs
{
    public const string StandInEngine = "stand-in";
    public const string WeightsEngine = "weights";

    /// <summary>Who answers imported models: "stand-in" (default; answer books and pseudo-text) or "weights" (the model's
    /// own weights on the CPU, for the architectures BedrockImport.Inference runs; the others keep the stand-in).</summary>
    public string Engine { get; set; } = StandInEngine;

    /// <summary>With the weights engine, a model unused this long is evicted from memory; the next call starts loading it
    /// again (a cold start, ModelNotReadyException until loaded). 0 never evicts.</summary>
    public int EngineIdleEvictMs { get; set; } = 300_000;

    internal bool UsesWeights => string.Equals(Engine, WeightsEngine, StringComparison.Ordinal);

    internal IEnumerable<string> ValidateEngine()
    {
        if (Engine is not (StandInEngine or WeightsEngine))
            yield return $"bedrock.engine must be \"{StandInEngine}\" or \"{WeightsEngine}\".";
        if (EngineIdleEvictMs < 0)
            yield return "bedrock.engineIdleEvictMs must not be negative.";
    }
}

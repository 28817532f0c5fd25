namespace BedrockImport.LocalEndpoint.Knobs;

public sealed partial class BedrockKnobs
{
    public const string AutoEngine = "auto";
    public const string StandInEngine = "stand-in";
    public const string WeightsEngine = "weights";

    /// <summary>Who answers imported models (answer books win over all three):
    /// "auto" (default): the model's own weights on the CPU when BedrockImport.Inference runs its architecture and its
    /// tokenizer and weights load, else the stand-in (the /_admin/models report says which and why);
    /// "stand-in": pseudo-text for every model; "weights": the weights, and a model the engine cannot run is refused
    /// (a test that sets it never gets stand-in text by accident).</summary>
    public string Engine { get; set; } = AutoEngine;

    /// <summary>With the weights engine, a model unused this long is evicted from memory; the next call starts loading it
    /// again (a cold start, ModelNotReadyException until loaded). 0 never evicts.</summary>
    public int EngineIdleEvictMs { get; set; } = 300_000;

    internal bool UsesWeights => Engine is AutoEngine or WeightsEngine;

    /// <summary>"weights": a model the engine cannot run is an error rather than stand-in text.</summary>
    internal bool RequiresWeights => string.Equals(Engine, WeightsEngine, StringComparison.Ordinal);

    internal IEnumerable<string> ValidateEngine()
    {
        if (Engine is not (AutoEngine or StandInEngine or WeightsEngine))
            yield return $"bedrock.engine must be \"{AutoEngine}\", \"{StandInEngine}\" or \"{WeightsEngine}\".";
        if (EngineIdleEvictMs < 0)
            yield return "bedrock.engineIdleEvictMs must not be negative.";
    }
}

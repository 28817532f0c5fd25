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

    /// <summary>With the weights engine, the bytes the models loaded together may need (each model's estimate: its mapped
    /// weights, which must stay resident, the f32 vectors, a KV cache for its context up to 8192 tokens and a prefill
    /// batch's activations). A model that does not fit beside those loaded is refused with the figures rather than loaded
    /// into an OutOfMemory. 0 (default): the memory available when the load starts (/proc/meminfo MemAvailable, at most
    /// the GC's limit).</summary>
    public long EngineMemoryLimitBytes { get; set; }

    internal bool UsesWeights => Engine is AutoEngine or WeightsEngine;

    /// <summary>"weights": a model the engine cannot run is an error rather than stand-in text.</summary>
    internal bool RequiresWeights => string.Equals(Engine, WeightsEngine, StringComparison.Ordinal);

    internal IEnumerable<string> ValidateEngine()
    {
        if (Engine is not (AutoEngine or StandInEngine or WeightsEngine))
            yield return $"bedrock.engine must be \"{AutoEngine}\", \"{StandInEngine}\" or \"{WeightsEngine}\".";
        if (EngineIdleEvictMs < 0)
            yield return "bedrock.engineIdleEvictMs must not be negative.";
        if (EngineMemoryLimitBytes < 0)
            yield return "bedrock.engineMemoryLimitBytes must not be negative (0 takes the memory available).";
    }
}

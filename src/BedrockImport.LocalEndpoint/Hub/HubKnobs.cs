namespace BedrockImport.LocalEndpoint.Knobs;

public sealed partial class Knobs
{
    /// <summary>Hugging Face Hub mirror behaviour. Latency and fault rates use the scoped maps with "hub" / "hub:Operation"
    /// (operations: ModelInfo, Tree, Resolve, Cdn).</summary>
    public HubKnobs Hub { get; set; } = new();
}

/// <summary>Knobs of the Hub mirror.</summary>
public sealed class HubKnobs
{
    /// <summary>Entries per page of the tree API (the Hub's default is 1000); the rest follows through Link rel="next".</summary>
    public int TreePageSize { get; set; } = 1000;

    /// <summary>Files at least this large (and every *.safetensors) are LFS files: lfs metadata, X-Linked-* headers, CDN redirect.</summary>
    public long LfsThresholdBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>Retry-After (seconds) sent with an injected 429.</summary>
    public int RetryAfterSeconds { get; set; } = 1;
}

namespace BedrockImport.LocalEndpoint.Knobs;

public sealed partial class Knobs
{
    /// <summary>S3 behaviour (read by the S3 handler).</summary>
    public S3Knobs S3 { get; set; } = new();
}

/// <summary>Knobs of the S3 handler.</summary>
public sealed class S3Knobs
{
    /// <summary>S3 operations ("HeadBucket", "ListObjectsV2", ...) answered 403 AccessDenied, as S3 answers a caller whose
    /// policy lacks the permission; the call is still counted in the stats.</summary>
    public List<string> AccessDeniedOperations { get; set; } = new();
}

namespace BedrockImport.Engine.Bedrock;

/// <summary>One InvokeModel / InvokeModelWithResponseStream call. The body is opaque JSON bytes.</summary>
public sealed class InvokeModelRequest
{
    /// <summary>Imported-model ARN (names are resolved by the caller).</summary>
    public string ModelId { get; set; } = "";
    public byte[] Body { get; set; } = Array.Empty<byte>();
    public string ContentType { get; set; } = "application/json";
    public string Accept { get; set; } = "application/json";
}

public sealed class InvokeModelResult
{
    public byte[] Body { get; set; } = Array.Empty<byte>();
    public string? ContentType { get; set; }
    public string? RequestId { get; set; }
    public int? InputTokenCount { get; set; }
    public int? OutputTokenCount { get; set; }
    public int? InvocationLatencyMs { get; set; }
}

/// <summary>One decoded `chunk` event of a response stream: the base64-decoded model JSON bytes.</summary>
public sealed class ResponseStreamChunk
{
    public byte[] Bytes { get; set; } = Array.Empty<byte>();
}

namespace BedrockImport.LocalEndpoint.Knobs;

public sealed partial class BedrockKnobs
{
    /// <summary>Replaces the import size limit (200 GB text / 100 GB multimodal models); null keeps the service's limits.</summary>
    public long? ImportMaxTotalBytes { get; set; }

    /// <summary>InvokeModelWithResponseStream sends an exception frame right after this many chunks and ends the stream
    /// (null: never). Has no effect when the answer has no more chunks than this.</summary>
    public int? StreamFaultAfterChunks { get; set; }

    /// <summary>Probability 0..1 (drawn from Seed per stream) that StreamFaultAfterChunks applies to a stream; default 1 = every stream.</summary>
    public double StreamFaultRate { get; set; } = 1.0;

    /// <summary>The exception frame of a mid-stream fault: modelStreamErrorException (default), throttlingException,
    /// internalServerException, modelTimeoutException, serviceUnavailableException or validationException.</summary>
    public string StreamFaultType { get; set; } = "modelStreamErrorException";
}

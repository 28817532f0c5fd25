namespace BedrockImport.LocalEndpoint.Knobs;

public sealed partial class BedrockKnobs
{
    /// <summary>ConverseStream sends an exception event right after this many contentBlockDelta events and ends the
    /// stream (null: never; 0: right after messageStart). Has no effect when the answer has fewer deltas.</summary>
    public int? ConverseStreamFaultAfterDeltas { get; set; }

    /// <summary>The exception event of a ConverseStream fault: modelStreamErrorException (default), throttlingException,
    /// internalServerException, serviceUnavailableException or validationException (the ConverseStreamOutput exception events).</summary>
    public string ConverseStreamFaultType { get; set; } = "modelStreamErrorException";
}

namespace BedrockImport.Engine.EventStream;

public enum EventStreamError
{
    /// <summary>The CRC-32 of the 8 prelude bytes does not match.</summary>
    PreludeChecksumMismatch,
    /// <summary>The CRC-32 of the whole frame does not match.</summary>
    MessageChecksumMismatch,
    /// <summary>Total or headers length out of range.</summary>
    InvalidLength,
    /// <summary>A header is malformed (unknown type, overruns the header block).</summary>
    InvalidHeader,
    /// <summary>The stream ended in the middle of a frame.</summary>
    Truncated,
}

/// <summary>The event stream is corrupt. The decoder that raised it is terminated: every later call raises it again.</summary>
public sealed class EventStreamException : Exception
{
    public EventStreamError Error { get; }

    public EventStreamException(EventStreamError error, string message) : base(message)
    {
        Error = error;
    }
}

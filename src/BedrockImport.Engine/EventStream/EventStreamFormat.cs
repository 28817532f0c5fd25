namespace BedrockImport.Engine.EventStream;

/// <summary>Sizes of the event-stream framing (smithy amazon-eventstream).</summary>
public static class EventStreamFormat
{
    /// <summary>total length (4) + headers length (4) + prelude CRC (4).</summary>
    public const int PreludeLength = 12;
    /// <summary>Prelude plus the trailing message CRC: the size of a frame with no headers and no payload.</summary>
    public const int MinimumMessageLength = PreludeLength + 4;
    public const int MaximumMessageLength = 16 * 1024 * 1024;
    public const int MaximumHeadersLength = 128 * 1024;
    public const string ContentType = "application/vnd.amazon.eventstream";

    internal static uint ReadUInt32(byte[] buffer, int offset)
        => ((uint)buffer[offset] << 24) | ((uint)buffer[offset + 1] << 16) | ((uint)buffer[offset + 2] << 8) | buffer[offset + 3];

    internal static void WriteUInt32(byte[] buffer, int offset, uint value)
    {
        buffer[offset] = (byte)(value >> 24);
        buffer[offset + 1] = (byte)(value >> 16);
        buffer[offset + 2] = (byte)(value >> 8);
        buffer[offset + 3] = (byte)value;
    }
}

using System.IO.Hashing;
using System.Text;

namespace BedrockImport.Engine.EventStream;

/// <summary>Encodes event-stream frames: prelude (total length, headers length, prelude CRC), headers, payload, message CRC.</summary>
public static class EventStreamWriter
{
    public static byte[] Encode(EventStreamMessage message)
    {
        if (message == null)
        {
            throw new ArgumentNullException(nameof(message));
        }

        var headers = EncodeHeaders(message);
        var payload = message.Payload;
        long total = (long)EventStreamFormat.MinimumMessageLength + headers.Length + payload.Length;
        if (headers.Length > EventStreamFormat.MaximumHeadersLength)
        {
            throw new ArgumentException($"Event-stream headers take {headers.Length} bytes; the limit is {EventStreamFormat.MaximumHeadersLength}.", nameof(message));
        }

        if (total > EventStreamFormat.MaximumMessageLength)
        {
            throw new ArgumentException($"An event-stream frame of {total} bytes exceeds the limit of {EventStreamFormat.MaximumMessageLength}.", nameof(message));
        }

        var frame = new byte[total];
        EventStreamFormat.WriteUInt32(frame, 0, (uint)total);
        EventStreamFormat.WriteUInt32(frame, 4, (uint)headers.Length);
        EventStreamFormat.WriteUInt32(frame, 8, Crc32.HashToUInt32(new ReadOnlySpan<byte>(frame, 0, 8)));
        Buffer.BlockCopy(headers, 0, frame, EventStreamFormat.PreludeLength, headers.Length);
        Buffer.BlockCopy(payload, 0, frame, EventStreamFormat.PreludeLength + headers.Length, payload.Length);
        var crcOffset = frame.Length - 4;
        EventStreamFormat.WriteUInt32(frame, crcOffset, Crc32.HashToUInt32(new ReadOnlySpan<byte>(frame, 0, crcOffset)));
        return frame;
    }

    public static void Write(Stream destination, EventStreamMessage message)
    {
        var frame = Encode(message);
        destination.Write(frame, 0, frame.Length);
    }

    public static Task WriteAsync(Stream destination, EventStreamMessage message, CancellationToken cancellationToken)
    {
        var frame = Encode(message);
        return destination.WriteAsync(frame, 0, frame.Length, cancellationToken);
    }

    private static byte[] EncodeHeaders(EventStreamMessage message)
    {
        using var buffer = new MemoryStream();
        foreach (var header in message.Headers)
        {
            var name = Encoding.UTF8.GetBytes(header.Name);
            buffer.WriteByte((byte)name.Length);
            buffer.Write(name, 0, name.Length);
            buffer.WriteByte((byte)header.Type);
            switch (header.Type)
            {
                case EventStreamHeaderType.BoolTrue:
                case EventStreamHeaderType.BoolFalse:
                    break;
                case EventStreamHeaderType.Byte:
                    buffer.WriteByte(unchecked((byte)(sbyte)header.RawValue));
                    break;
                case EventStreamHeaderType.Int16:
                    WriteBigEndian(buffer, (ushort)(short)header.RawValue, 2);
                    break;
                case EventStreamHeaderType.Int32:
                    WriteBigEndian(buffer, (uint)(int)header.RawValue, 4);
                    break;
                case EventStreamHeaderType.Int64:
                    WriteBigEndian(buffer, (ulong)(long)header.RawValue, 8);
                    break;
                case EventStreamHeaderType.Timestamp:
                    WriteBigEndian(buffer, (ulong)((DateTimeOffset)header.RawValue).ToUnixTimeMilliseconds(), 8);
                    break;
                case EventStreamHeaderType.ByteArray:
                    WriteLengthPrefixed(buffer, (byte[])header.RawValue);
                    break;
                case EventStreamHeaderType.String:
                    WriteLengthPrefixed(buffer, Encoding.UTF8.GetBytes((string)header.RawValue));
                    break;
                case EventStreamHeaderType.Uuid:
                    var uuid = UuidBytes.ToRfc4122((Guid)header.RawValue);
                    buffer.Write(uuid, 0, uuid.Length);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(message), $"Unknown header type {header.Type}.");
            }
        }

        return buffer.ToArray();
    }

    private static void WriteLengthPrefixed(Stream buffer, byte[] bytes)
    {
        WriteBigEndian(buffer, (ulong)bytes.Length, 2);
        buffer.Write(bytes, 0, bytes.Length);
    }

    private static void WriteBigEndian(Stream buffer, ulong value, int byteCount)
    {
        for (var shift = (byteCount - 1) * 8; shift >= 0; shift -= 8)
        {
            buffer.WriteByte((byte)(value >> shift));
        }
    }
}

internal static class UuidBytes
{
    // Guid.ToByteArray stores the first three fields little-endian; the wire wants the text order.
    private static readonly int[] Order = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

    public static byte[] ToRfc4122(Guid value)
    {
        var mixed = value.ToByteArray();
        var result = new byte[16];
        for (var i = 0; i < 16; i++)
        {
            result[i] = mixed[Order[i]];
        }

        return result;
    }

    public static Guid FromRfc4122(byte[] buffer, int offset)
    {
        var mixed = new byte[16];
        for (var i = 0; i < 16; i++)
        {
            mixed[Order[i]] = buffer[offset + i];
        }

        return new Guid(mixed);
    }
}

using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;

namespace BedrockImport.Engine.EventStream;

/// <summary>Incremental event-stream decoder. Feed it bytes in slices of any size (a frame may be split at any byte);
/// it returns each frame as soon as it is complete. Both CRCs are checked; the first corrupt byte raises
/// EventStreamException and terminates the decoder. Not thread-safe.</summary>
public sealed class EventStreamDecoder
{
    private static readonly IReadOnlyList<EventStreamMessage> None = Array.Empty<EventStreamMessage>();

    // Event frames of a model's answer are a few hundred bytes: start small and grow (doubling) for a larger frame.
    private byte[] _buffer = new byte[1024];
    private int _start;
    private int _end;
    private bool _preludeChecked;
    private EventStreamException? _failure;

    /// <summary>Bytes received that do not yet form a complete frame.</summary>
    public int BufferedByteCount => _end - _start;

    public IReadOnlyList<EventStreamMessage> Feed(byte[] data) => Feed(data, 0, data?.Length ?? 0);

    /// <summary>Appends data[offset..offset+count) and returns the frames completed by it (often none).</summary>
    /// <exception cref="EventStreamException">A checksum, length or header is invalid (now or earlier).</exception>
    public IReadOnlyList<EventStreamMessage> Feed(byte[] data, int offset, int count)
    {
        if (data == null)
        {
            throw new ArgumentNullException(nameof(data));
        }

        if (offset < 0 || count < 0 || offset > data.Length - count)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        if (_failure != null)
        {
            throw _failure;
        }

        Append(data, offset, count);
        List<EventStreamMessage>? messages = null;
        try
        {
            while (TryDecodeOne(out var message))
            {
                (messages ??= new List<EventStreamMessage>()).Add(message);
            }
        }
        catch (EventStreamException error)
        {
            _failure = error;
            throw;
        }

        return messages ?? None;
    }

    /// <summary>Call at end of input: raises EventStreamException(Truncated) if a partial frame is pending.</summary>
    public void Complete()
    {
        if (_failure != null)
        {
            throw _failure;
        }

        if (BufferedByteCount > 0)
        {
            _failure = new EventStreamException(EventStreamError.Truncated,
                $"The event stream ended in the middle of a frame ({BufferedByteCount} bytes of an incomplete frame).");
            throw _failure;
        }
    }

    /// <summary>Reads frames from a stream as they arrive. A stream that ends inside a frame raises EventStreamException(Truncated).</summary>
    public static async IAsyncEnumerable<EventStreamMessage> ReadAllAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var decoder = new EventStreamDecoder();
        var readBuffer = new byte[16 * 1024];
        while (true)
        {
            var read = await stream.ReadAsync(readBuffer, 0, readBuffer.Length, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                decoder.Complete();
                yield break;
            }

            foreach (var message in decoder.Feed(readBuffer, 0, read))
            {
                yield return message;
            }
        }
    }

    private void Append(byte[] data, int offset, int count)
    {
        if (count == 0)
        {
            return;
        }

        if (_buffer.Length - _end < count)
        {
            var pending = _end - _start;
            if (_buffer.Length - pending < count)
            {
                var larger = new byte[Math.Max(_buffer.Length * 2, pending + count)];
                Buffer.BlockCopy(_buffer, _start, larger, 0, pending);
                _buffer = larger;
            }
            else
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
            }

            _start = 0;
            _end = pending;
        }

        Buffer.BlockCopy(data, offset, _buffer, _end, count);
        _end += count;
    }

    private bool TryDecodeOne(out EventStreamMessage message)
    {
        message = null!;
        var available = _end - _start;
        if (available < EventStreamFormat.PreludeLength)
        {
            return false;
        }

        var totalLength = EventStreamFormat.ReadUInt32(_buffer, _start);
        var headersLength = EventStreamFormat.ReadUInt32(_buffer, _start + 4);
        if (!_preludeChecked)
        {
            // Checked before waiting for the rest, so a corrupt length cannot make us wait for bytes that never come.
            var expected = EventStreamFormat.ReadUInt32(_buffer, _start + 8);
            var actual = Crc32.HashToUInt32(new ReadOnlySpan<byte>(_buffer, _start, 8));
            if (expected != actual)
            {
                throw new EventStreamException(EventStreamError.PreludeChecksumMismatch,
                    $"Event-stream prelude checksum mismatch (expected 0x{expected:x8}, computed 0x{actual:x8}).");
            }

            if (totalLength < EventStreamFormat.MinimumMessageLength || totalLength > EventStreamFormat.MaximumMessageLength)
            {
                throw new EventStreamException(EventStreamError.InvalidLength, $"Event-stream frame length {totalLength} is out of range.");
            }

            if (headersLength > EventStreamFormat.MaximumHeadersLength || headersLength > totalLength - EventStreamFormat.MinimumMessageLength)
            {
                throw new EventStreamException(EventStreamError.InvalidLength,
                    $"Event-stream headers length {headersLength} does not fit a frame of {totalLength} bytes.");
            }

            _preludeChecked = true;
        }

        if (available < totalLength)
        {
            return false;
        }

        var crcOffset = _start + (int)totalLength - 4;
        var expectedMessageCrc = EventStreamFormat.ReadUInt32(_buffer, crcOffset);
        var actualMessageCrc = Crc32.HashToUInt32(new ReadOnlySpan<byte>(_buffer, _start, (int)totalLength - 4));
        if (expectedMessageCrc != actualMessageCrc)
        {
            throw new EventStreamException(EventStreamError.MessageChecksumMismatch,
                $"Event-stream message checksum mismatch (expected 0x{expectedMessageCrc:x8}, computed 0x{actualMessageCrc:x8}).");
        }

        var headersStart = _start + EventStreamFormat.PreludeLength;
        var headers = DecodeHeaders(_buffer, headersStart, (int)headersLength);
        var payloadStart = headersStart + (int)headersLength;
        var payload = new byte[crcOffset - payloadStart];
        Buffer.BlockCopy(_buffer, payloadStart, payload, 0, payload.Length);

        _start += (int)totalLength;
        if (_start == _end)
        {
            _start = _end = 0;
        }

        _preludeChecked = false;
        message = new EventStreamMessage(headers, payload);
        return true;
    }

    private static List<EventStreamHeader> DecodeHeaders(byte[] buffer, int offset, int length)
    {
        var headers = new List<EventStreamHeader>(4);
        var position = offset;
        var end = offset + length;
        while (position < end)
        {
            var nameLength = buffer[position++];
            Require(nameLength > 0, "a header has an empty name");
            Require(end - position >= nameLength + 1, "a header name overruns the header block");
            var name = CommonStrings.Decode(buffer, position, nameLength);
            position += nameLength;
            var type = (EventStreamHeaderType)buffer[position++];
            object value;
            switch (type)
            {
                case EventStreamHeaderType.BoolTrue:
                    value = true;
                    break;
                case EventStreamHeaderType.BoolFalse:
                    value = false;
                    break;
                case EventStreamHeaderType.Byte:
                    Require(end - position >= 1, "a byte header overruns the header block");
                    value = unchecked((sbyte)buffer[position]);
                    position += 1;
                    break;
                case EventStreamHeaderType.Int16:
                    Require(end - position >= 2, "an int16 header overruns the header block");
                    value = unchecked((short)ReadBigEndian(buffer, position, 2));
                    position += 2;
                    break;
                case EventStreamHeaderType.Int32:
                    Require(end - position >= 4, "an int32 header overruns the header block");
                    value = unchecked((int)ReadBigEndian(buffer, position, 4));
                    position += 4;
                    break;
                case EventStreamHeaderType.Int64:
                    Require(end - position >= 8, "an int64 header overruns the header block");
                    value = unchecked((long)ReadBigEndian(buffer, position, 8));
                    position += 8;
                    break;
                case EventStreamHeaderType.Timestamp:
                    Require(end - position >= 8, "a timestamp header overruns the header block");
                    var milliseconds = unchecked((long)ReadBigEndian(buffer, position, 8));
                    Require(milliseconds >= -62135596800000L && milliseconds <= 253402300799999L, "a timestamp header is out of range");
                    value = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
                    position += 8;
                    break;
                case EventStreamHeaderType.ByteArray:
                case EventStreamHeaderType.String:
                    Require(end - position >= 2, "a header value length overruns the header block");
                    var valueLength = (int)ReadBigEndian(buffer, position, 2);
                    position += 2;
                    Require(end - position >= valueLength, "a header value overruns the header block");
                    if (type == EventStreamHeaderType.String)
                    {
                        value = CommonStrings.Decode(buffer, position, valueLength);
                    }
                    else
                    {
                        var bytes = new byte[valueLength];
                        Buffer.BlockCopy(buffer, position, bytes, 0, valueLength);
                        value = bytes;
                    }

                    position += valueLength;
                    break;
                case EventStreamHeaderType.Uuid:
                    Require(end - position >= 16, "a uuid header overruns the header block");
                    value = UuidBytes.FromRfc4122(buffer, position);
                    position += 16;
                    break;
                default:
                    throw new EventStreamException(EventStreamError.InvalidHeader, $"Event-stream header '{name}' has unknown type {(byte)type}.");
            }

            headers.Add(EventStreamHeader.FromWire(name, type, value));
        }

        return headers;
    }

    /// <summary>The header names and values every AWS event repeats: decoded to one shared string each instead of a new
    /// string per frame; anything else is decoded as usual.</summary>
    private static class CommonStrings
    {
        private static readonly string[] Texts =
        {
            ":event-type", ":content-type", ":message-type", ":exception-type", "event", "chunk", "application/json",
            "messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata",
        };

        private static readonly byte[][] Utf8 = Texts.Select(Encoding.UTF8.GetBytes).ToArray();

        public static string Decode(byte[] buffer, int offset, int length)
        {
            var bytes = new ReadOnlySpan<byte>(buffer, offset, length);
            for (var i = 0; i < Utf8.Length; i++)
            {
                if (Utf8[i].Length == length && bytes.SequenceEqual(Utf8[i]))
                {
                    return Texts[i];
                }
            }

            return Encoding.UTF8.GetString(buffer, offset, length);
        }
    }

    private static ulong ReadBigEndian(byte[] buffer, int offset, int byteCount)
    {
        ulong value = 0;
        for (var i = 0; i < byteCount; i++)
        {
            value = (value << 8) | buffer[offset + i];
        }

        return value;
    }

    private static void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw new EventStreamException(EventStreamError.InvalidHeader, "Invalid event-stream header block: " + problem + ".");
        }
    }
}

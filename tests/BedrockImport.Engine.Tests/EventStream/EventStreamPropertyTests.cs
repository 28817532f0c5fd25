using BedrockImport.Engine.EventStream;
using CsCheck;

namespace BedrockImport.Engine.Tests.EventStream;

/// <summary>Properties of the event-stream codec over random frames: what EventStreamWriter encodes, the decoder gives
/// back whole and unchanged however the bytes are sliced, and a frame damaged or cut short never decodes.</summary>
public class EventStreamPropertyTests
{
    private const int Iterations = 500;

    // No lone surrogates: UTF-8 cannot carry them, so they are not values a header could hold.
    private static readonly Gen<char> TextChar = Gen.Char["abcxyzABCXYZ0189 -_:/.+=\"'\\{}é\u00ffΩ中文\u2028"];

    private static Gen<string> Text(int min, int max) => TextChar.Array[min, max].Select(chars => new string(chars));

    private static Gen<EventStreamHeader> HeaderOf(string name, EventStreamHeaderType type) => type switch
    {
        EventStreamHeaderType.BoolTrue or EventStreamHeaderType.BoolFalse => Gen.Bool.Select(b => EventStreamHeader.Bool(name, b)),
        EventStreamHeaderType.Byte => Gen.Byte.Select(b => EventStreamHeader.Byte(name, unchecked((sbyte)b))),
        EventStreamHeaderType.Int16 => Gen.Int[short.MinValue, short.MaxValue].Select(i => EventStreamHeader.Int16(name, (short)i)),
        EventStreamHeaderType.Int32 => Gen.Int.Select(i => EventStreamHeader.Int32(name, i)),
        EventStreamHeaderType.Int64 => Gen.Long.Select(l => EventStreamHeader.Int64(name, l)),
        EventStreamHeaderType.ByteArray => Gen.Byte.Array[0, 300].Select(bytes => EventStreamHeader.ByteArray(name, bytes)),
        EventStreamHeaderType.String => Text(0, 200).Select(text => EventStreamHeader.String(name, text)),
        // The whole range the wire's milliseconds can name as a DateTimeOffset (years 1 to 9999).
        EventStreamHeaderType.Timestamp => Gen.Long[-62135596800000L, 253402300799999L]
            .Select(ms => EventStreamHeader.Timestamp(name, DateTimeOffset.FromUnixTimeMilliseconds(ms))),
        _ => Gen.Guid.Select(g => EventStreamHeader.Uuid(name, g)),
    };

    private static readonly Gen<EventStreamHeader> Header =
        from name in Text(1, 60)
        from type in Gen.Enum<EventStreamHeaderType>()
        from header in HeaderOf(name, type)
        select header;

    private static readonly Gen<EventStreamMessage> Message =
        Gen.Select(Header.Array[0, 8], Gen.Byte.Array[0, 3000], (headers, payload) => new EventStreamMessage(headers, payload));

    private static (string, EventStreamHeaderType, object) Describe(EventStreamHeader header)
        => (header.Name, header.Type, header.Value is byte[] bytes ? Convert.ToHexString(bytes) : header.Value);

    private static void AssertSame(EventStreamMessage expected, EventStreamMessage actual)
    {
        Assert.Equal(expected.Headers.Select(Describe), actual.Headers.Select(Describe));
        Assert.Equal(expected.Payload, actual.Payload);
    }

    [Fact]
    public void Frames_decode_to_what_was_encoded_however_the_bytes_are_sliced()
    {
        Gen.Select(Message.Array[1, 5], Gen.Int[0, int.MaxValue].Array[0, 12]).Sample((messages, cutSeeds) =>
        {
            var stream = messages.SelectMany(EventStreamWriter.Encode).ToArray();
            var cuts = cutSeeds.Select(seed => seed % (stream.Length + 1)).Append(0).Append(stream.Length).Distinct().Order().ToArray();
            var decoder = new EventStreamDecoder();
            var decoded = new List<EventStreamMessage>();

            for (var i = 1; i < cuts.Length; i++) decoded.AddRange(decoder.Feed(stream, cuts[i - 1], cuts[i] - cuts[i - 1]));
            decoder.Complete();

            Assert.Equal(messages.Length, decoded.Count);
            for (var i = 0; i < messages.Length; i++) AssertSame(messages[i], decoded[i]);
            Assert.Equal(0, decoder.BufferedByteCount);
        }, iter: Iterations);
    }

    [Fact]
    public void A_frame_has_the_length_its_prelude_states()
    {
        Message.Sample(message =>
        {
            var frame = EventStreamWriter.Encode(message);

            Assert.Equal((uint)frame.Length, EventStreamFormat.ReadUInt32(frame, 0));
            Assert.Equal(frame.Length - EventStreamFormat.MinimumMessageLength - message.Payload.Length, (int)EventStreamFormat.ReadUInt32(frame, 4));
        }, iter: Iterations);
    }

    [Fact]
    public void Any_single_flipped_bit_is_an_event_stream_error()
    {
        (from message in Message
         let frame = EventStreamWriter.Encode(message)
         from bit in Gen.Int[0, frame.Length * 8 - 1]
         select (frame, bit)).Sample((frame, bit) =>
        {
            var damaged = (byte[])frame.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            var decoder = new EventStreamDecoder();

            // CRC-32 catches every one-bit error: in the prelude at once, elsewhere when the frame is whole (or, for a
            // length made longer, at the end of the stream).
            Assert.Throws<EventStreamException>(() =>
            {
                decoder.Feed(damaged);
                decoder.Complete();
            });
        }, iter: Iterations);
    }

    [Fact]
    public void A_frame_cut_short_yields_nothing_and_ends_as_truncated()
    {
        (from message in Message
         let frame = EventStreamWriter.Encode(message)
         from length in Gen.Int[0, frame.Length - 1]
         select (frame, length)).Sample((frame, length) =>
        {
            var decoder = new EventStreamDecoder();

            Assert.Empty(decoder.Feed(frame, 0, length));
            Assert.Equal(length, decoder.BufferedByteCount);
            if (length == 0)
            {
                decoder.Complete();
                return;
            }

            Assert.Equal(EventStreamError.Truncated, Assert.Throws<EventStreamException>(decoder.Complete).Error);
        }, iter: Iterations);
    }
}

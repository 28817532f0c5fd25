using System.Text;
using BedrockImport.Engine.EventStream;

namespace BedrockImport.Engine.Tests.EventStream;

public class EventStreamCodecTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    [Fact]
    public void Encode_PayloadWithoutHeaders_MatchesKnownVector()
    {
        var frame = EventStreamWriter.Encode(new EventStreamMessage(Array.Empty<EventStreamHeader>(), Encoding.UTF8.GetBytes("{\"foo\": \"bar\"}")));

        Assert.Equal(Hex("00 00 00 1e 00 00 00 00 ba f2 f6 8a 7b 22 66 6f 6f 22 3a 20 22 62 61 72 22 7d ae 72 58 e4"), frame);
    }

    [Fact]
    public void Encode_StringHeader_MatchesKnownPreludeAndMessageCrc()
    {
        var frame = EventStreamWriter.Encode(new EventStreamMessage(
            new[] { EventStreamHeader.String("content-type", "application/json") },
            Encoding.UTF8.GetBytes("{\"foo\": \"bar\"}")));

        Assert.Equal(Hex("00 00 00 3e 00 00 00 20 40 5d f9 46"), frame[..12]);
        Assert.Equal(Hex("6f a2 bf 3b"), frame[^4..]);
        Assert.Equal(0x3e, frame.Length);
    }

    [Fact]
    public void Decode_KnownVector_YieldsPayload()
    {
        var decoder = new EventStreamDecoder();
        var messages = decoder.Feed(Hex("00 00 00 1e 00 00 00 00 ba f2 f6 8a 7b 22 66 6f 6f 22 3a 20 22 62 61 72 22 7d ae 72 58 e4"));

        var message = Assert.Single(messages);
        Assert.Empty(message.Headers);
        Assert.Equal("{\"foo\": \"bar\"}", Encoding.UTF8.GetString(message.Payload));
        decoder.Complete();
    }

    private static EventStreamMessage AllHeaderTypes() => new(new[]
    {
        EventStreamHeader.Bool("t", true),
        EventStreamHeader.Bool("f", false),
        EventStreamHeader.Byte("byte", -7),
        EventStreamHeader.Int16("short", -12345),
        EventStreamHeader.Int32("int", int.MinValue + 3),
        EventStreamHeader.Int64("long", long.MaxValue - 11),
        EventStreamHeader.ByteArray("bytes", new byte[] { 0, 1, 254, 255 }),
        EventStreamHeader.String("string", "héllo ✓"),
        EventStreamHeader.Timestamp("time", new DateTimeOffset(2026, 11, 27, 19, 30, 1, 234, TimeSpan.Zero)),
        EventStreamHeader.Uuid("uuid", Guid.Parse("00112233-4455-6677-8899-aabbccddeeff")),
    }, Encoding.UTF8.GetBytes("payload"));

    [Fact]
    public void RoundTrip_EveryHeaderType()
    {
        var decoded = Assert.Single(new EventStreamDecoder().Feed(EventStreamWriter.Encode(AllHeaderTypes())));

        Assert.Equal(10, decoded.Headers.Count);
        Assert.Equal(EventStreamHeaderType.BoolTrue, decoded.Headers[0].Type);
        Assert.True(decoded.GetHeader("t")!.AsBool());
        Assert.Equal(EventStreamHeaderType.BoolFalse, decoded.Headers[1].Type);
        Assert.False(decoded.GetHeader("f")!.AsBool());
        Assert.Equal((sbyte)-7, decoded.GetHeader("byte")!.AsByte());
        Assert.Equal((short)-12345, decoded.GetHeader("short")!.AsInt16());
        Assert.Equal(int.MinValue + 3, decoded.GetHeader("int")!.AsInt32());
        Assert.Equal(long.MaxValue - 11, decoded.GetHeader("long")!.AsInt64());
        Assert.Equal(new byte[] { 0, 1, 254, 255 }, decoded.GetHeader("bytes")!.AsByteArray());
        Assert.Equal("héllo ✓", decoded.GetString("string"));
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 19, 30, 1, 234, TimeSpan.Zero), decoded.GetHeader("time")!.AsTimestamp());
        Assert.Equal(Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), decoded.GetHeader("uuid")!.AsUuid());
        Assert.Equal("payload", Encoding.UTF8.GetString(decoded.Payload));
    }

    [Fact]
    public void Encode_WireLayoutOfTypedHeaders_IsBigEndianAndUuidInTextOrder()
    {
        var frame = EventStreamWriter.Encode(new EventStreamMessage(new[]
        {
            EventStreamHeader.Int32("i", 0x01020304),
            EventStreamHeader.Uuid("u", Guid.Parse("00112233-4455-6677-8899-aabbccddeeff")),
            EventStreamHeader.Timestamp("ts", DateTimeOffset.FromUnixTimeMilliseconds(0x0102030405)),
        }, Array.Empty<byte>()));

        var headers = frame[12..^4];
        Assert.Equal(Hex("01 69 04 01020304" + "01 75 09 00112233445566778899aabbccddeeff" + "02 7473 08 0000000102030405"), headers);
    }

    [Fact]
    public void Decode_OneByteSlices_YieldsEveryMessageInOrder()
    {
        var frames = Enumerable.Range(0, 5).Select(i => EventStreamMessage.Event("chunk", Encoding.UTF8.GetBytes("{\"n\":" + i + "}"))).ToList();
        var stream = frames.SelectMany(EventStreamWriter.Encode).ToArray();
        var decoder = new EventStreamDecoder();
        var decoded = new List<EventStreamMessage>();

        for (var i = 0; i < stream.Length; i++)
        {
            decoded.AddRange(decoder.Feed(stream, i, 1));
        }

        decoder.Complete();
        Assert.Equal(Enumerable.Range(0, 5).Select(i => "{\"n\":" + i + "}"), decoded.Select(m => Encoding.UTF8.GetString(m.Payload)));
        Assert.All(decoded, m => Assert.Equal("chunk", m.GetString(":event-type")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(42)]
    public void Decode_RandomSlicesWithOffsets_YieldsEveryMessage(int seed)
    {
        var random = new Random(seed);
        var payloads = Enumerable.Range(0, 20).Select(i => Enumerable.Range(0, random.Next(0, 3000)).Select(_ => (byte)random.Next(256)).ToArray()).ToList();
        var stream = payloads.SelectMany(p => EventStreamWriter.Encode(new EventStreamMessage(new[] { EventStreamHeader.Int32("n", p.Length) }, p))).ToArray();
        // Copy the stream into a larger array at a non-zero offset, so offsets other than 0 are exercised.
        var carrier = new byte[stream.Length + 100];
        Buffer.BlockCopy(stream, 0, carrier, 37, stream.Length);
        var decoder = new EventStreamDecoder();
        var decoded = new List<EventStreamMessage>();

        var position = 0;
        while (position < stream.Length)
        {
            var slice = Math.Min(random.Next(1, 5000), stream.Length - position);
            decoded.AddRange(decoder.Feed(carrier, 37 + position, slice));
            position += slice;
        }

        decoder.Complete();
        Assert.Equal(payloads.Count, decoded.Count);
        for (var i = 0; i < payloads.Count; i++)
        {
            Assert.Equal(payloads[i], decoded[i].Payload);
            Assert.Equal(payloads[i].Length, decoded[i].GetHeader("n")!.AsInt32());
        }
    }

    [Fact]
    public void Decode_BadPreludeCrc_ThrowsBeforeRestOfFrameArrivesAndTerminates()
    {
        var frame = EventStreamWriter.Encode(EventStreamMessage.Event("chunk", new byte[100]));
        frame[10] ^= 0x01;
        var decoder = new EventStreamDecoder();

        var error = Assert.Throws<EventStreamException>(() => decoder.Feed(frame, 0, 12));
        Assert.Equal(EventStreamError.PreludeChecksumMismatch, error.Error);

        var good = EventStreamWriter.Encode(EventStreamMessage.Event("chunk", new byte[1]));
        var again = Assert.Throws<EventStreamException>(() => decoder.Feed(good));
        Assert.Equal(EventStreamError.PreludeChecksumMismatch, again.Error);
    }

    [Fact]
    public void Decode_CorruptLengthField_IsCaughtByPreludeCrc()
    {
        var frame = EventStreamWriter.Encode(EventStreamMessage.Event("chunk", new byte[10]));
        frame[2] = 0x7f;

        var error = Assert.Throws<EventStreamException>(() => new EventStreamDecoder().Feed(frame));
        Assert.Equal(EventStreamError.PreludeChecksumMismatch, error.Error);
    }

    [Fact]
    public void Decode_BadMessageCrc_ThrowsAfterEarlierGoodMessagesWereReturned()
    {
        var first = EventStreamWriter.Encode(EventStreamMessage.Event("chunk", Encoding.UTF8.GetBytes("one")));
        var second = EventStreamWriter.Encode(EventStreamMessage.Event("chunk", Encoding.UTF8.GetBytes("two")));
        second[second.Length - 6] ^= 0x20; // a payload byte
        var decoder = new EventStreamDecoder();

        Assert.Single(decoder.Feed(first));
        var error = Assert.Throws<EventStreamException>(() => decoder.Feed(second));
        Assert.Equal(EventStreamError.MessageChecksumMismatch, error.Error);
        Assert.Throws<EventStreamException>(() => decoder.Complete());
    }

    [Fact]
    public void Complete_WithPartialFrame_ThrowsTruncated()
    {
        var frame = EventStreamWriter.Encode(EventStreamMessage.Event("chunk", new byte[50]));
        var decoder = new EventStreamDecoder();

        Assert.Empty(decoder.Feed(frame, 0, frame.Length - 1));
        var error = Assert.Throws<EventStreamException>(() => decoder.Complete());
        Assert.Equal(EventStreamError.Truncated, error.Error);
    }

    [Fact]
    public async Task ReadAllAsync_TruncatedStream_YieldsCompleteFramesThenThrowsTruncated()
    {
        var complete = EventStreamWriter.Encode(EventStreamMessage.Event("chunk", new byte[] { 1 }));
        var partial = EventStreamWriter.Encode(EventStreamMessage.Event("chunk", new byte[] { 2 }))[..20];
        using var stream = new MemoryStream(complete.Concat(partial).ToArray());
        var received = new List<EventStreamMessage>();

        var error = await Assert.ThrowsAsync<EventStreamException>(async () =>
        {
            await foreach (var message in EventStreamDecoder.ReadAllAsync(stream))
            {
                received.Add(message);
            }
        });

        Assert.Equal(EventStreamError.Truncated, error.Error);
        Assert.Single(received);
    }

    [Fact]
    public void Decode_HeaderOverrunningHeaderBlock_ThrowsInvalidHeader()
    {
        // A string header claiming 200 value bytes inside a 10-byte header block, with valid CRCs.
        var headers = Hex("01 61 07 00 c8 41 41 41 41 41");
        var frame = new byte[16 + headers.Length];
        frame[3] = (byte)frame.Length;
        frame[7] = (byte)headers.Length;
        var preludeCrc = System.IO.Hashing.Crc32.HashToUInt32(frame.AsSpan(0, 8));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), preludeCrc);
        headers.CopyTo(frame, 12);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(frame.Length - 4), System.IO.Hashing.Crc32.HashToUInt32(frame.AsSpan(0, frame.Length - 4)));

        var error = Assert.Throws<EventStreamException>(() => new EventStreamDecoder().Feed(frame));
        Assert.Equal(EventStreamError.InvalidHeader, error.Error);
    }

    [Fact]
    public void Encode_MatchesIndependentCrcImplementation()
    {
        var frame = EventStreamWriter.Encode(AllHeaderTypes());

        Assert.Equal(BitwiseCrc32(frame.AsSpan(0, 8)), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(8)));
        Assert.Equal(BitwiseCrc32(frame.AsSpan(0, frame.Length - 4)), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(frame.Length - 4)));
    }

    [Fact]
    public void BitwiseReferenceCrc_IsTheIeeeCrc32()
        => Assert.Equal(0xCBF43926u, BitwiseCrc32(Encoding.ASCII.GetBytes("123456789")));

    // The framing computes its CRCs with System.IO.Hashing; this bit-at-a-time CRC-32 (IEEE 802.3, reflected 0xEDB88320)
    // shares no code with it.
    private static uint BitwiseCrc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void Decode_FramesEncodedByAwsSdk_AreReadable()
    {
        var sdkHeaders = new Dictionary<string, Amazon.Runtime.EventStreams.IEventStreamHeader>();
        var header = new Amazon.Runtime.EventStreams.EventStreamHeader(":event-type");
        header.SetString("chunk");
        sdkHeaders[":event-type"] = header;
        var sdkFrame = new Amazon.Runtime.EventStreams.EventStreamMessage(sdkHeaders.Values.ToList(), Encoding.UTF8.GetBytes("abc")).ToByteArray();

        var decoded = Assert.Single(new EventStreamDecoder().Feed(sdkFrame));
        Assert.Equal("chunk", decoded.GetString(":event-type"));
        Assert.Equal("abc", Encoding.UTF8.GetString(decoded.Payload));
    }
}

using System.Net;
using System.Text;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.EventStream;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Wire;

public class ResponseStreamTests
{
    private static readonly InvokeModelRequest Request = new() { ModelId = Kit.ModelArn, Body = Encoding.UTF8.GetBytes("{\"prompt\":\"hi\"}"), Accept = "application/json" };

    private static byte[] Frames(params byte[][] frames) => frames.SelectMany(f => f).ToArray();

    private static async Task<List<string>> Collect(BedrockRuntimeClient client, CancellationToken token = default)
    {
        var texts = new List<string>();
        await foreach (var chunk in client.InvokeModelWithResponseStreamAsync(Request, token))
        {
            texts.Add(Encoding.UTF8.GetString(chunk.Bytes));
        }

        return texts;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task Chunks_AreDecodedFromFramesSplitAcrossReads(int slice)
    {
        var body = Frames(
            Kit.ChunkFrame("{\"generation\":\"Hel\"}"),
            EventStreamWriter.Encode(new EventStreamMessage(new[] { EventStreamHeader.String(":message-type", "ping") }, Array.Empty<byte>())),
            EventStreamWriter.Encode(EventStreamMessage.Event("initial-response", Encoding.UTF8.GetBytes("{}"))),
            Kit.ChunkFrame("{\"generation\":\"lo\"}", padding: false),
            Kit.ChunkFrame("{\"generation\":\"\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":3}}"));
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(body, slice)));
        using var client = Kit.Runtime(handler);

        var texts = await Collect(client);

        Assert.Equal(new[] { "{\"generation\":\"Hel\"}", "{\"generation\":\"lo\"}", "{\"generation\":\"\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":3}}" }, texts);
    }

    [Fact]
    public async Task Request_PutsAcceptInBedrockHeaderAndTargetsStreamPath()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(Kit.ChunkFrame("{}"), 100)));
        using var client = Kit.Runtime(handler);

        await Collect(client);

        var request = Assert.Single(handler.Requests);
        Assert.Equal($"/model/{Kit.EncodedModelArn}/invoke-with-response-stream", request.Uri.AbsolutePath);
        Assert.Equal("application/json", request.Header("X-Amzn-Bedrock-Accept"));
        Assert.Null(request.Header("Accept"));
        Assert.Equal("application/json", request.Header("Content-Type"));
        Assert.Equal("{\"prompt\":\"hi\"}", Encoding.UTF8.GetString(request.Body));
        Assert.True(SigV4Verifier.Verify(request, Kit.SecretKey).Valid);
    }

    [Fact]
    public async Task ExceptionFrameAfterFirstChunk_SurfacesTypedAndIsNotRetried()
    {
        var body = Frames(
            Kit.ChunkFrame("{\"generation\":\"a\"}"),
            EventStreamWriter.Encode(EventStreamMessage.Exception("throttlingException", Encoding.UTF8.GetBytes("{\"message\":\"Too many tokens\"}"))),
            Kit.ChunkFrame("{\"generation\":\"never\"}"));
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(body, 3)));
        using var client = Kit.Runtime(handler);
        var received = new List<string>();

        var error = await Assert.ThrowsAsync<ThrottlingException>(async () =>
        {
            await foreach (var chunk in client.InvokeModelWithResponseStreamAsync(Request, CancellationToken.None))
            {
                received.Add(Encoding.UTF8.GetString(chunk.Bytes));
            }
        });

        Assert.Equal(new[] { "{\"generation\":\"a\"}" }, received);
        Assert.Equal("Too many tokens", error.Message);
        Assert.Equal("stream-req", error.RequestId);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task ModelStreamErrorFrame_CarriesOriginalStatus()
    {
        var body = EventStreamWriter.Encode(EventStreamMessage.Exception("modelStreamErrorException",
            Encoding.UTF8.GetBytes("{\"message\":\"stream broke\",\"originalStatusCode\":502,\"originalMessage\":\"upstream\"}")));
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(body, 100)));
        using var client = Kit.Runtime(handler);

        var error = await Assert.ThrowsAsync<ModelStreamErrorException>(() => Collect(client));

        Assert.Equal(502, error.OriginalStatusCode);
        Assert.Equal("upstream", error.OriginalMessage);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task RetryableExceptionFrameBeforeFirstChunk_IsRetried()
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.EventStream(new SlicedStream(EventStreamWriter.Encode(EventStreamMessage.Exception("internalServerException", Encoding.UTF8.GetBytes("{\"message\":\"blip\"}"))), 5)),
            () => FakeHandler.EventStream(new SlicedStream(Frames(Kit.ChunkFrame("{\"n\":1}"), Kit.ChunkFrame("{\"n\":2}")), 5)));
        var log = new RecordingLog();
        using var client = Kit.Runtime(handler, log: log);

        var texts = await Collect(client);

        Assert.Equal(new[] { "{\"n\":1}", "{\"n\":2}" }, texts);
        Assert.Equal(2, handler.Requests.Count);
        Assert.Contains(log.VerboseLines, l => l.StartsWith("Retrying InvokeModelWithResponseStream after") && l.Contains("InternalServerException: blip"));
    }

    [Fact]
    public async Task HttpErrorBeforeStream_ModelNotReady_IsRetriedAsColdStart()
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Error((HttpStatusCode)429, "ModelNotReadyException", "loading"),
            () => FakeHandler.EventStream(new SlicedStream(Kit.ChunkFrame("{\"n\":1}"), 64)));
        var log = new RecordingLog();
        using var client = Kit.Runtime(handler, log: log);

        var texts = await Collect(client);

        Assert.Equal(new[] { "{\"n\":1}" }, texts);
        Assert.Contains(log.VerboseLines, l => l.StartsWith("Model is loading (ModelNotReadyException); waiting"));
    }

    [Fact]
    public async Task ErrorFrame_MapsErrorCodeAndMessage()
    {
        var body = Frames(Kit.ChunkFrame("{}"), EventStreamWriter.Encode(EventStreamMessage.Error("InternalFailure", "Something broke")));
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(body, 1000)));
        using var client = Kit.Runtime(handler);

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => Collect(client));

        Assert.Equal("InternalFailure", error.ErrorCode);
        Assert.Equal("Something broke", error.Message);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task BadCrcMidStream_SurfacesUnexpectedResponse()
    {
        var second = Kit.ChunkFrame("{\"n\":2}");
        second[second.Length - 8] ^= 0xFF;
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(Frames(Kit.ChunkFrame("{\"n\":1}"), second), 9)));
        using var client = Kit.Runtime(handler);
        var received = 0;

        var error = await Assert.ThrowsAsync<UnexpectedResponseException>(async () =>
        {
            await foreach (var _ in client.InvokeModelWithResponseStreamAsync(Request, CancellationToken.None))
            {
                received++;
            }
        });

        Assert.Equal(1, received);
        var inner = Assert.IsType<EventStreamException>(error.InnerException);
        Assert.Equal(EventStreamError.MessageChecksumMismatch, inner.Error);
    }

    [Fact]
    public async Task TruncatedStream_SurfacesUnexpectedResponse()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(Frames(Kit.ChunkFrame("{\"n\":1}"), Kit.ChunkFrame("{\"n\":2}")[..30]), 16)));
        using var client = Kit.Runtime(handler);

        var error = await Assert.ThrowsAsync<UnexpectedResponseException>(() => Collect(client));

        Assert.Equal(EventStreamError.Truncated, Assert.IsType<EventStreamException>(error.InnerException).Error);
    }

    [Fact]
    public async Task BreakingOutOfAwaitForeach_DisposesTheResponseAtOnce()
    {
        var stream = new SlicedStream(Frames(Kit.ChunkFrame("{\"n\":1}"), Kit.ChunkFrame("{\"n\":2}")), 4096, blockAtEnd: true);
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(stream));
        using var client = Kit.Runtime(handler);

        await foreach (var chunk in client.InvokeModelWithResponseStreamAsync(Request, CancellationToken.None))
        {
            Assert.False(stream.IsDisposed);
            break;
        }

        Assert.True(stream.IsDisposed);
    }

    [Fact]
    public async Task CancellationWhileWaitingForNextChunk_EndsTheStream()
    {
        var stream = new SlicedStream(Kit.ChunkFrame("{\"n\":1}"), 4096, blockAtEnd: true);
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(stream));
        using var client = Kit.Runtime(handler);
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in client.InvokeModelWithResponseStreamAsync(Request, cts.Token))
            {
                cts.Cancel();
            }
        });

        Assert.True(stream.IsDisposed);
    }

    private static byte[] ChunkEvent(string payload) => EventStreamWriter.Encode(EventStreamMessage.Event("chunk", Encoding.UTF8.GetBytes(payload)));

    [Theory]
    [InlineData("{\"bytes\":\"aGk=\"}")]
    [InlineData("{\"p\":\"abcdefgh\",\"bytes\":\"aGk=\"}")]
    [InlineData("{\"x\":{\"bytes\":1,\"y\":[\"bytes\"]},\"bytes\":\"aGk=\"}")]
    [InlineData("{\"bytes\":7,\"bytes\":\"aGk=\"}")]
    [InlineData(" { \"bytes\" : \"aGk=\" } ")]
    public async Task ChunkEnvelope_YieldsTheDecodedBytesWhateverElseItHolds(string payload)
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(ChunkEvent(payload), 4096)));
        using var client = Kit.Runtime(handler);

        Assert.Equal(new[] { "hi" }, await Collect(client));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("\"aGk=\"")]
    [InlineData("{\"bytes\":5}")]
    [InlineData("{\"bytes\":null}")]
    [InlineData("{\"bytes\":\"aGk=\",\"bytes\":{}}")]
    [InlineData("{\"bytes\":\"not base64!\"}")]
    [InlineData("{\"bytes\":\"aGk=\"} trailing")]
    [InlineData("{\"bytes\":\"aGk=\"")]
    [InlineData("not json")]
    public async Task ChunkEnvelope_WithoutABase64BytesString_IsAnUnexpectedResponse(string payload)
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(ChunkEvent(payload), 4096)));
        using var client = Kit.Runtime(handler);

        var error = await Assert.ThrowsAsync<UnexpectedResponseException>(() => Collect(client));

        Assert.Contains("chunk event", error.Message);
    }
}

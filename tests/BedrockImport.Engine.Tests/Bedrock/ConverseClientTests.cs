using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.EventStream;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Tests.Wire;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Bedrock;

public class ConverseClientTests
{
    private const string Answer = "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Paris.\"}]}},\"stopReason\":\"end_turn\","
        + "\"usage\":{\"inputTokens\":12,\"outputTokens\":3,\"totalTokens\":15},\"metrics\":{\"latencyMs\":417}}";

    private static ConverseRequest Request(string modelId = Kit.ModelArn, params string[] stops) => new()
    {
        ModelId = modelId,
        System = new List<SystemContentBlock> { new() { Text = "Answer in one word." } },
        Messages = { ConverseMessage.FromText(ConverseRoles.User, "Capital of France?") },
        InferenceConfig = new InferenceConfiguration { MaxTokens = 64, Temperature = 0.25f, TopP = 0.9f, StopSequences = stops.Length == 0 ? null : stops.ToList() },
        AdditionalModelRequestFields = new JsonObject { ["top_k"] = 40 },
    };

    private static byte[] Delta(int index, string text)
        => Kit.EventFrame("contentBlockDelta", "{\"contentBlockIndex\":" + index + ",\"delta\":{\"text\":" + JsonSerializer.Serialize(text) + "},\"p\":\"abc\"}");

    private static readonly byte[] Start = Kit.EventFrame("messageStart", "{\"role\":\"assistant\"}");
    private static byte[] Stop(int index) => Kit.EventFrame("contentBlockStop", "{\"contentBlockIndex\":" + index + "}");
    private static byte[] MessageStop(string reason) => Kit.EventFrame("messageStop", "{\"stopReason\":\"" + reason + "\"}");
    private static readonly byte[] Metadata = Kit.EventFrame("metadata", "{\"usage\":{\"inputTokens\":9,\"outputTokens\":4,\"totalTokens\":13},\"metrics\":{\"latencyMs\":250}}");

    private static async Task<List<ConverseStreamEvent>> Collect(IAsyncEnumerable<ConverseStreamEvent> events)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var list = new List<ConverseStreamEvent>();
        await foreach (var item in events.WithCancellation(timeout.Token))
        {
            list.Add(item);
        }

        return list;
    }

    [Theory]
    [InlineData(Kit.ModelArn, Kit.EncodedModelArn)]
    [InlineData("anthropic.claude-3-sonnet-20240229-v1:0", "anthropic.claude-3-sonnet-20240229-v1%3A0")]
    [InlineData("us.anthropic.claude-3-5-sonnet-20240620-v1:0", "us.anthropic.claude-3-5-sonnet-20240620-v1%3A0")]
    [InlineData("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-sonnet-20240620-v1%3A0")]
    [InlineData("my-imported-model", "my-imported-model")]
    public async Task The_model_id_is_one_label_encoded_as_botocore_encodes_it_and_the_request_is_signed_for_bedrock(string modelId, string encoded)
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.OK, Answer));
        await Kit.Runtime(handler).ConverseAsync(Request(modelId), CancellationToken.None);
        var stream = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(Kit.Frames(Start, MessageStop("end_turn")), 64)));
        await Collect(Kit.Runtime(stream).ConverseStreamAsync(Request(modelId), CancellationToken.None));

        foreach (var (request, action) in new[] { (handler.Requests.Single(), "converse"), (stream.Requests.Single(), "converse-stream") })
        {
            Assert.Equal(HttpMethod.Post, request.Method);
            Assert.Equal($"/model/{encoded}/{action}", request.Uri.GetComponents(UriComponents.Path | UriComponents.KeepDelimiter, UriFormat.UriEscaped));
            var signature = SigV4Verifier.Verify(request, Kit.SecretKey);
            Assert.True(signature.Valid, signature.CanonicalRequest);
            Assert.EndsWith("/us-east-1/bedrock/aws4_request", signature.Scope);
        }
    }

    [Fact]
    public async Task The_body_is_the_camelCase_Converse_shape_without_the_model_id_or_unset_members()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.OK, Answer));
        await Kit.Runtime(handler).ConverseAsync(Request(Kit.ModelArn, "END", "\n\n"), CancellationToken.None);

        var request = handler.Requests.Single();
        Assert.StartsWith("application/json", request.Header("Content-Type"));
        Assert.Equal("2023-09-30", request.Header("X-Amz-Api-Version"));
        using var body = JsonDocument.Parse(request.Body);
        var root = body.RootElement;
        Assert.Equal(new[] { "messages", "system", "inferenceConfig", "additionalModelRequestFields" }, root.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("user", root.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.Equal("Capital of France?", root.GetProperty("messages")[0].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("Answer in one word.", root.GetProperty("system")[0].GetProperty("text").GetString());
        var config = root.GetProperty("inferenceConfig");
        Assert.Equal(64, config.GetProperty("maxTokens").GetInt32());
        Assert.Equal(0.25, config.GetProperty("temperature").GetDouble(), 5);
        Assert.Equal(0.9, config.GetProperty("topP").GetDouble(), 5);
        Assert.Equal(new[] { "END", "\n\n" }, config.GetProperty("stopSequences").EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.Equal(40, root.GetProperty("additionalModelRequestFields").GetProperty("top_k").GetInt32());
    }

    [Fact]
    public async Task The_answer_is_read_back_with_usage_metrics_and_request_id()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.OK, Answer, ("x-amzn-RequestId", "conv-1")));
        var response = await Kit.Runtime(handler).ConverseAsync(Request(), CancellationToken.None);

        Assert.Equal("assistant", response.Output.Message.Role);
        Assert.Equal("Paris.", Assert.Single(response.Output.Message.Content).Text);
        Assert.Equal("end_turn", response.StopReason);
        Assert.Equal((12, 3, 15), (response.Usage.InputTokens, response.Usage.OutputTokens, response.Usage.TotalTokens));
        Assert.Equal(417, response.Metrics.LatencyMs);
        Assert.Equal("conv-1", response.RequestId);
        Assert.Null(response.ClientStopSequence);
    }

    [Fact]
    public async Task Errors_are_mapped_by_code_and_a_throttled_Converse_is_retried()
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Error(HttpStatusCode.TooManyRequests, "ThrottlingException", "Too many requests"),
            () => FakeHandler.Json(HttpStatusCode.OK, Answer));
        var response = await Kit.Runtime(handler).ConverseAsync(Request(), CancellationToken.None);
        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal("Paris.", response.Output.Message.Content[0].Text);

        var refused = FakeHandler.Sequence(() => FakeHandler.Error(HttpStatusCode.BadRequest, "ValidationException", "This model does not support Converse"));
        var error = await Assert.ThrowsAsync<ValidationException>(() => Kit.Runtime(refused).ConverseAsync(Request(), CancellationToken.None));
        Assert.Contains("does not support Converse", error.Message);
        Assert.Single(refused.Requests);
    }

    [Fact]
    public async Task An_answer_that_is_not_json_is_an_unexpected_response()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Raw(HttpStatusCode.OK, "text/html", Encoding.UTF8.GetBytes("<html>proxy</html>")));
        await Assert.ThrowsAsync<UnexpectedResponseException>(() => Kit.Runtime(handler).ConverseAsync(Request(), CancellationToken.None));
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Stream_events_are_parsed_in_order_and_unknown_events_skipped()
    {
        var body = Kit.Frames(Kit.EventFrame("initial-response", "{}"), Start, Kit.EventFrame("contentBlockStart", "{\"contentBlockIndex\":0,\"start\":{}}"),
            Delta(0, "Hel"), Kit.EventFrame("futureEvent", "{\"x\":1}"), Delta(0, "lo"), Stop(0), MessageStop("max_tokens"), Metadata);
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(body, 7)));
        var events = await Collect(Kit.Runtime(handler).ConverseStreamAsync(Request(), CancellationToken.None));

        Assert.Equal(new[] { "messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata" },
            events.Select(e => e.EventType).ToArray());
        Assert.Equal("assistant", events[0].Role);
        Assert.Equal("Hello", string.Concat(events.Where(e => e.Delta != null).Select(e => e.Delta.Text)));
        Assert.All(events.Skip(1).Take(4), e => Assert.Equal(0, e.ContentBlockIndex));
        Assert.Equal("max_tokens", events[5].StopReason);
        Assert.Equal((9, 4, 13), (events[6].Usage.InputTokens, events[6].Usage.OutputTokens, events[6].Usage.TotalTokens));
        Assert.Equal(250, events[6].Metrics.LatencyMs);
        Assert.DoesNotContain(events, e => e.FromClient);
    }

    [Theory]
    [InlineData("internalServerException", typeof(InternalServerException))]
    [InlineData("modelStreamErrorException", typeof(ModelStreamErrorException))]
    [InlineData("validationException", typeof(ValidationException))]
    [InlineData("throttlingException", typeof(ThrottlingException))]
    [InlineData("serviceUnavailableException", typeof(ServiceUnavailableException))]
    public async Task An_exception_event_after_the_first_event_throws_its_typed_exception_and_is_not_retried(string member, Type expected)
    {
        var body = Kit.Frames(Start, Delta(0, "Hi"), Kit.ExceptionFrame(member, "{\"message\":\"went wrong\",\"originalStatusCode\":500,\"originalMessage\":\"model crashed\"}"));
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(body, 5)));
        var seen = new List<string>();

        var error = await Assert.ThrowsAnyAsync<AwsServiceException>(async () =>
        {
            await foreach (var item in Kit.Runtime(handler).ConverseStreamAsync(Request(), CancellationToken.None))
            {
                seen.Add(item.EventType);
            }
        });

        Assert.IsType(expected, error);
        Assert.Equal("went wrong", error.Message);
        Assert.Equal(new[] { "messageStart", "contentBlockDelta" }, seen.ToArray());
        Assert.Single(handler.Requests);
        if (error is ModelStreamErrorException modelError)
        {
            Assert.Equal(500, modelError.OriginalStatusCode);
            Assert.Equal("model crashed", modelError.OriginalMessage);
        }
    }

    [Fact]
    public async Task An_exception_event_whose_message_is_not_valid_UTF8_still_throws_its_typed_exception()
    {
        // StrictJson in EventStreamResponse: before it, the message's GetString threw InvalidOperationException.
        var payload = Encoding.UTF8.GetBytes("{\"message\":\"went ").Concat(new byte[] { 0xFF }).Concat(Encoding.UTF8.GetBytes("wrong\"}")).ToArray();
        var frame = EventStreamWriter.Encode(EventStreamMessage.Exception("validationException", payload));
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(Kit.Frames(Start, frame), 5)));

        var error = await Assert.ThrowsAsync<ValidationException>(async () =>
        {
            await foreach (var item in Kit.Runtime(handler).ConverseStreamAsync(Request(), CancellationToken.None))
            {
            }
        });

        Assert.Contains("in the response stream", error.Message);
    }

    private static byte[] WithInvalidUtf8(string before, string after)
        => Encoding.UTF8.GetBytes(before).Concat(new byte[] { 0xFF }).Concat(Encoding.UTF8.GetBytes(after)).ToArray();

    [Fact]
    public async Task A_Converse_answer_with_invalid_UTF8_in_its_text_is_an_unexpected_response()
    {
        var body = WithInvalidUtf8("{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"a", "b\"}]}},\"stopReason\":\"end_turn\"}");
        var handler = FakeHandler.Sequence(() => FakeHandler.Raw(HttpStatusCode.OK, "application/json", body));

        var error = await Assert.ThrowsAsync<UnexpectedResponseException>(() => Kit.Runtime(handler).ConverseAsync(Request(), CancellationToken.None));

        Assert.Contains("not a Converse response", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_ConverseStream_delta_with_undecodable_text_is_an_unexpected_response(bool surrogateEscape)
    {
        // Raw re-reads the wire payload after the serializer: the serializer must refuse it first.
        var payload = surrogateEscape
            ? Encoding.UTF8.GetBytes("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"a\\ud800b\"}}")
            : WithInvalidUtf8("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"a", "b\"}}");
        var delta = EventStreamWriter.Encode(EventStreamMessage.Event("contentBlockDelta", payload));
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(Kit.Frames(Start, delta), 7)));

        var error = await Assert.ThrowsAsync<UnexpectedResponseException>(() => Collect(Kit.Runtime(handler).ConverseStreamAsync(Request(), CancellationToken.None)));

        Assert.Contains("contentBlockDelta event that is not valid JSON", error.Message);
    }

    [Fact]
    public async Task A_throttled_open_and_an_exception_before_the_first_event_are_retried()
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Error(HttpStatusCode.TooManyRequests, "ThrottlingException", "Too many requests"),
            () => FakeHandler.EventStream(new SlicedStream(Kit.ExceptionFrame("internalServerException", "{\"message\":\"blip\"}"), 5)),
            () => FakeHandler.EventStream(new SlicedStream(Kit.Frames(Start, Delta(0, "ok"), Stop(0), MessageStop("end_turn"), Metadata), 11)));
        var events = await Collect(Kit.Runtime(handler).ConverseStreamAsync(Request(), CancellationToken.None));

        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal(5, events.Count);
        Assert.Equal("ok", events[1].Delta.Text);
    }

    [Fact]
    public void A_non_streamed_answer_is_cut_at_the_first_stop_the_service_ignored()
    {
        var response = JsonSerializer.Deserialize<ConverseResponse>(
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"one two\"},{\"text\":\"three END four\"},{\"text\":\"five\"}]}},\"stopReason\":\"max_tokens\"}",
            Json.EngineJson.Options);

        ConverseStops.Apply(response, ConverseStops.For(Request(Kit.ModelArn, "END", "four")));

        Assert.Equal(new[] { "one two", "three " }, response.Output.Message.Content.Select(c => c.Text).ToArray());
        Assert.Equal("stop_sequence", response.StopReason);
        Assert.Equal("END", response.ClientStopSequence);
    }

    [Fact]
    public void An_answer_without_a_stop_sequence_is_left_as_the_service_sent_it()
    {
        var response = JsonSerializer.Deserialize<ConverseResponse>(Answer, Json.EngineJson.Options);
        ConverseStops.Apply(response, ConverseStops.For(Request(Kit.ModelArn, "END")));
        Assert.Equal("Paris.", response.Output.Message.Content[0].Text);
        Assert.Equal("end_turn", response.StopReason);
        Assert.Null(response.ClientStopSequence);
    }

    [Fact]
    public async Task A_stream_that_ignores_the_stop_is_cut_and_closed_at_the_first_stop()
    {
        // The service keeps generating past "STOP" and then holds the connection open: only closing it ends the read.
        var body = Kit.Frames(Start, Delta(0, "Hello, wor"), Delta(0, "ld ST"), Delta(0, "OP and more"), Delta(0, " and more"), Stop(0), MessageStop("end_turn"), Metadata);
        var wire = new SlicedStream(body, 13, blockAtEnd: true);
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(wire));
        var request = Request(Kit.ModelArn, "STOP");
        var events = new List<ConverseStreamEvent>();
        var disposedAtMessageStop = false;

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (var item in ConverseStops.ApplyAsync(Kit.Runtime(handler).ConverseStreamAsync(request, timeout.Token), ConverseStops.For(request), timeout.Token))
        {
            events.Add(item);
            if (item.EventType == "messageStop")
            {
                disposedAtMessageStop = wire.IsDisposed;
            }
        }

        Assert.Equal("Hello, world ", string.Concat(events.Where(e => e.Delta != null).Select(e => e.Delta.Text)));
        Assert.DoesNotContain(events, e => e.Delta?.Text?.Contains("ST") == true);
        Assert.Equal(new[] { "messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "messageStop" }, events.Select(e => e.EventType).ToArray());
        Assert.Equal("stop_sequence", events[^1].StopReason);
        Assert.True(events[^1].FromClient);
        Assert.True(disposedAtMessageStop, "the connection is closed as soon as the stop sequence completes");
        Assert.True(wire.IsDisposed);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Held_back_text_that_never_completes_a_stop_is_released_before_its_block_stops()
    {
        var body = Kit.Frames(Start, Delta(0, "abc ST"), Delta(0, "ARS"), Delta(1, "x S"), Stop(1), MessageStop("end_turn"), Metadata);
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(body, 64)));
        var request = Request(Kit.ModelArn, "STOP");

        var events = await Collect(ConverseStops.ApplyAsync(Kit.Runtime(handler).ConverseStreamAsync(request, CancellationToken.None), ConverseStops.For(request)));

        var deltas = events.Where(e => e.Delta != null).Select(e => (e.ContentBlockIndex, e.Delta.Text)).ToArray();
        Assert.Equal("abc STARS", string.Concat(deltas.Where(d => d.ContentBlockIndex == 0).Select(d => d.Text)));
        Assert.Equal("x S", string.Concat(deltas.Where(d => d.ContentBlockIndex == 1).Select(d => d.Text)));
        Assert.Equal(("contentBlockDelta", 1), (events[^4].EventType, events[^4].ContentBlockIndex.Value));
        Assert.Equal(new[] { "contentBlockStop", "messageStop", "metadata" }, events.TakeLast(3).Select(e => e.EventType).ToArray());
        Assert.Equal("end_turn", events[^2].StopReason);
        Assert.DoesNotContain(events, e => e.FromClient);
    }
}

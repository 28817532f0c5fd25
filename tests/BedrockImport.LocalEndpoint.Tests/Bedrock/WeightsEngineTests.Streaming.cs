using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using BedrockImport.Engine.EventStream;
using BedrockImport.LocalEndpoint.Bedrock;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

/// <summary>Live streaming of the weights engine: chunks leave while the generation runs, join to the non-streamed
/// answer, never split a character, and a client that goes away stops the generation.</summary>
public sealed partial class WeightsEngineTests
{
    // Long enough that the generation cannot be over when its first chunk is read, were chunks sent at the end.
    private const int LongAnswerTokens = 120;
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private static (object Body, string Path) StreamRequest(string format, string arn, string prompt, bool stream, object stop = null)
    {
        var model = "model/" + Uri.EscapeDataString(arn);
        return format switch
        {
            "bedrock" => (new { prompt, max_gen_len = LongAnswerTokens, temperature = 0, stop }, model + (stream ? "/invoke-with-response-stream" : "/invoke")),
            "openai" => (new { prompt, max_tokens = LongAnswerTokens, temperature = 0, stop }, model + (stream ? "/invoke-with-response-stream" : "/invoke")),
            "chat" => (new { messages = new[] { new { role = "user", content = prompt } }, max_tokens = LongAnswerTokens, temperature = 0, stop },
                model + (stream ? "/invoke-with-response-stream" : "/invoke")),
            _ => (new
            {
                messages = new[] { new { role = "user", content = new[] { new { text = prompt } } } },
                inferenceConfig = new { maxTokens = LongAnswerTokens, temperature = 0, stopSequences = stop },
            }, model + (stream ? "/converse-stream" : "/converse")),
        };
    }

    /// <summary>The answer text, output tokens and prompt tokens of a non-streamed answer.</summary>
    private static (string Text, int Output, int Prompt) WholeAnswer(string format, JsonElement json) => format switch
    {
        "bedrock" => (json.GetProperty("generation").GetString(), json.GetProperty("generation_token_count").GetInt32(), json.GetProperty("prompt_token_count").GetInt32()),
        "openai" => (json.GetProperty("choices")[0].GetProperty("text").GetString(), json.GetProperty("usage").GetProperty("completion_tokens").GetInt32(),
            json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32()),
        "chat" => (json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(),
            json.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32()),
        _ => (json.GetProperty("output").GetProperty("message").GetProperty("content")[0].GetProperty("text").GetString(),
            json.GetProperty("usage").GetProperty("outputTokens").GetInt32(), json.GetProperty("usage").GetProperty("inputTokens").GetInt32()),
    };

    /// <summary>The model JSON of a stream event, read with a UTF-8 decoder that refuses invalid bytes.</summary>
    private static JsonElement StrictEventJson(EventStreamMessage message)
    {
        using var outer = JsonDocument.Parse(StrictUtf8.GetString(message.Payload.ToArray()));
        var json = outer.RootElement.TryGetProperty("bytes", out var bytes)
            ? StrictUtf8.GetString(Convert.FromBase64String(bytes.GetString()))
            : outer.RootElement.GetRawText();
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    /// <summary>The text of one generated token's event, or null for Converse's other events.</summary>
    private static string PieceOf(string format, EventStreamMessage message, JsonElement json) => format switch
    {
        "bedrock" => json.GetProperty("generation").GetString(),
        "openai" => json.GetProperty("choices")[0].GetProperty("text").GetString(),
        "chat" => json.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString(),
        _ => message.GetString(":event-type") == "contentBlockDelta" ? json.GetProperty("delta").GetProperty("text").GetString() : null,
    };

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }

    private static async Task<string> StateOfAsync(BedrockTestEndpoint endpoint, string arn)
    {
        var report = await BedrockTestEndpoint.JsonAsync(await endpoint.Endpoint.Http.GetAsync("/_admin/models"), HttpStatusCode.OK);
        return report.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("modelArn").GetString() == arn).GetProperty("state").GetString();
    }

    [Theory]
    [InlineData("bedrock")]
    [InlineData("openai")]
    [InlineData("chat")]
    [InlineData("converse")]
    public async Task A_stream_sends_each_token_while_the_generation_runs_and_joins_to_the_greedy_answer(string format)
    {
        var prompt = ReferenceOf("llama").Prompt;
        await using var endpoint = await StartAsync();
        var arn = await ImportFixtureAsync(endpoint, "llama");
        var (body, path) = StreamRequest(format, arn, prompt, stream: false);
        var whole = WholeAnswer(format, await BedrockTestEndpoint.JsonAsync(
            await UntilLoadedAsync(() => endpoint.SendAsync(HttpMethod.Post, path, body)), HttpStatusCode.OK));
        // The answer has characters of several UTF-8 bytes, which this 594-token vocabulary spells in byte pieces.
        Assert.Contains(whole.Text, c => c > 0x7F);

        // The generation is held at its second token until the client has read the first chunk: were chunks sent only
        // once the generation is done, the first one would never come while it is held.
        var engine = WeightsEngine.Of(endpoint.Endpoint.Server.Context);
        using var firstChunkRead = new ManualResetEventSlim();
        var releasedByClient = false;
        engine.TokenGenerated = (count, _) =>
        {
            if (count == 2) releasedByClient = firstChunkRead.Wait(TimeSpan.FromSeconds(60));
        };
        var (streamBody, streamPath) = StreamRequest(format, arn, prompt, stream: true);
        using var response = await endpoint.SendAsync(HttpMethod.Post, streamPath, streamBody, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var pieces = new List<string>();
        var events = new List<(EventStreamMessage Message, JsonElement Json)>();
        await foreach (var message in EventStreamDecoder.ReadAllAsync(await response.Content.ReadAsStreamAsync()))
        {
            Assert.Equal("event", message.GetString(":message-type"));
            var json = StrictEventJson(message);
            events.Add((message, json));
            if (PieceOf(format, message, json) is not { } piece) continue;
            if (pieces.Count == 0)
            {
                Assert.Equal("generating", await StateOfAsync(endpoint, arn));
                firstChunkRead.Set();
            }
            pieces.Add(piece);
        }
        engine.TokenGenerated = null;

        Assert.True(releasedByClient, "the first chunk did not reach the client while the generation ran");
        Assert.Equal(whole.Output, pieces.Count);
        Assert.Equal(whole.Text, string.Concat(pieces));
        Assert.DoesNotContain(pieces, HasLoneSurrogate);
        // Some token ended inside a character: its piece is empty, the character comes whole with a later token.
        Assert.Contains(pieces, p => p.Length == 0);
        Assert.Equal("loaded", await StateOfAsync(endpoint, arn));

        var last = events[^1].Json;
        if (format == "converse")
        {
            Assert.Equal("metadata", events[^1].Message.GetString(":event-type"));
            Assert.Equal(whole.Prompt, last.GetProperty("usage").GetProperty("inputTokens").GetInt32());
            Assert.Equal(whole.Output, last.GetProperty("usage").GetProperty("outputTokens").GetInt32());
            Assert.Equal("max_tokens", events[^2].Json.GetProperty("stopReason").GetString());
        }
        else
        {
            var metrics = last.GetProperty("amazon-bedrock-invocationMetrics");
            Assert.Equal(whole.Prompt, metrics.GetProperty("inputTokenCount").GetInt32());
            Assert.Equal(whole.Output, metrics.GetProperty("outputTokenCount").GetInt32());
            Assert.All(events.SkipLast(1), e => Assert.False(e.Json.TryGetProperty("amazon-bedrock-invocationMetrics", out _)));
        }
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("converse")]
    public async Task A_streamed_answer_cut_by_a_stop_sequence_equals_the_non_streamed_one(string format)
    {
        var prompt = ReferenceOf("llama").Prompt;
        await using var endpoint = await StartAsync();
        var arn = await ImportFixtureAsync(endpoint, "llama");
        var (plainBody, plainPath) = StreamRequest(format, arn, prompt, stream: false);
        var plain = WholeAnswer(format, await BedrockTestEndpoint.JsonAsync(
            await UntilLoadedAsync(() => endpoint.SendAsync(HttpMethod.Post, plainPath, plainBody)), HttpStatusCode.OK));
        // Three characters from the middle of the answer: the stop spans tokens, so its start is held back until the
        // tokens after tell whether it is the stop.
        var stop = plain.Text.Substring(plain.Text.Length / 2, 3);
        var expected = plain.Text.Substring(0, plain.Text.IndexOf(stop, StringComparison.Ordinal));

        var (body, path) = StreamRequest(format, arn, prompt, stream: false, new[] { stop });
        Assert.Equal(expected, WholeAnswer(format, await BedrockTestEndpoint.JsonAsync(await endpoint.SendAsync(HttpMethod.Post, path, body), HttpStatusCode.OK)).Text);
        var (streamBody, streamPath) = StreamRequest(format, arn, prompt, stream: true, new[] { stop });
        var events = await BedrockTestEndpoint.ReadEventStreamAsync(await endpoint.SendAsync(HttpMethod.Post, streamPath, streamBody));
        var pieces = events.Select(e => PieceOf(format, e, StrictEventJson(e))).Where(p => p is not null).ToList();
        Assert.Equal(expected, string.Concat(pieces));
    }

    [Fact]
    public async Task A_client_that_goes_away_cancels_the_generation_and_frees_the_model()
    {
        var reference = ReferenceOf("llama");
        await using var endpoint = await StartAsync();
        var arn = await ImportFixtureAsync(endpoint, "llama");
        var expected = await BedrockTestEndpoint.JsonAsync(
            await UntilLoadedAsync(() => endpoint.InvokeAsync(arn, CompletionBody(reference.Prompt, openAi: false))), HttpStatusCode.OK);

        var engine = WeightsEngine.Of(endpoint.Endpoint.Server.Context);
        using var clientGone = new ManualResetEventSlim();
        var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var streamedCounts = new ConcurrentQueue<int>();
        CancellationToken? streamed = null;
        engine.TokenGenerated = (count, cancel) =>
        {
            streamed ??= cancel;
            if (!cancel.Equals(streamed.Value)) return;
            streamedCounts.Enqueue(count);
            if (count != 2) return;
            clientGone.Wait(TimeSpan.FromSeconds(60));
            cancelled.TrySetResult(cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(60)));
        };
        var (body, path) = StreamRequest("bedrock", arn, reference.Prompt, stream: true);
        var response = await endpoint.SendAsync(HttpMethod.Post, path, body, HttpCompletionOption.ResponseHeadersRead);
        var frames = EventStreamDecoder.ReadAllAsync(await response.Content.ReadAsStreamAsync()).GetAsyncEnumerator();
        Assert.True(await frames.MoveNextAsync());
        response.Dispose();
        clientGone.Set();

        Assert.True(await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(60)), "the generation was not cancelled when the client went away");
        // The model's lock is free: the next call is answered, the same greedy answer as before.
        var again = await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(arn, CompletionBody(reference.Prompt, openAi: false)), HttpStatusCode.OK);
        Assert.Equal(expected.GetProperty("generation").GetString(), again.GetProperty("generation").GetString());
        // The cancelled generation stopped at the token where the client left, far before its LongAnswerTokens.
        Assert.Equal(new[] { 1, 2 }, streamedCounts);
        engine.TokenGenerated = null;
    }

    [Fact]
    public void The_stop_chunker_holds_back_only_what_may_begin_a_stop_and_never_takes_text_back()
    {
        var chunker = new StopSequenceChunker(new[] { "</answer>", "\n\n" });
        Assert.Equal(("ab", false), chunker.Add("ab", last: false));
        Assert.Equal(("c", false), chunker.Add("c</", last: false));
        Assert.Equal(("", false), chunker.Add("ans", last: false));
        // "</ans" + "x" is no stop: the held text goes out with the new one.
        Assert.Equal(("</ansx", false), chunker.Add("x", last: false));
        Assert.Equal(("y", false), chunker.Add("y\n", last: false));
        Assert.Equal(("", true), chunker.Add("\nz", last: false));

        var spanning = new StopSequenceChunker(new[] { "</answer>" });
        var sent = new[] { "<answer>トラン", "ペット</", "answer>", "tail" }
            .Select((t, i) => spanning.Add(t, last: i == 3)).ToList();
        Assert.Equal("<answer>トランペット", string.Concat(sent.TakeWhile(s => !s.Stopped).Select(s => s.Piece)) + sent.First(s => s.Stopped).Piece);
        Assert.True(sent[2].Stopped);

        var none = new StopSequenceChunker(Array.Empty<string>());
        Assert.Equal(("😀", false), none.Add("😀", last: false));
        Assert.Equal(("end", false), none.Add("end", last: true));
    }
}

using System.Text;
using System.Text.Json;
using BedrockImport.Engine.Invocation;

namespace BedrockImport.Engine.Tests.Invocation;

public class StreamAccumulatorTests
{
    private static byte[] BedrockChunk(string delta, string stopReason = null) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["generation"] = delta, ["stop_reason"] = stopReason });

    private static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    /// <summary>Independent statement of the hold-back rule: the longest end of the text that is a proper prefix of a stop.</summary>
    private static int PendingPrefix(string text, IEnumerable<string> stops) =>
        stops.SelectMany(s => Enumerable.Range(1, s.Length - 1).Where(n => n <= text.Length && text.EndsWith(s.Substring(0, n), StringComparison.Ordinal)))
             .DefaultIfEmpty(0).Max();

    private sealed class Run
    {
        public readonly List<string> Shown = new();
        public int ChunksConsumed;
        public bool Stopped;
        public InvocationResult Result;
    }

    /// <summary>What the cmdlet does: feed chunks, show text, close the stream at the first stop.</summary>
    private static Run Stream(IReadOnlyList<string> chunks, StopSequenceSet stops, Action<string, int> afterEachChunk = null)
    {
        var run = new Run();
        var accumulator = new StreamAccumulator(stops);
        var received = new StringBuilder();
        foreach (var chunk in chunks)
        {
            run.ChunksConsumed++;
            received.Append(chunk);
            var step = accumulator.Add(BedrockChunk(chunk));
            run.Shown.Add(step.Text);
            afterEachChunk?.Invoke(received.ToString(), string.Concat(run.Shown).Length);
            if (step.StopSequenceReached)
            {
                run.Stopped = true;
                break;
            }
        }
        run.Shown.Add(accumulator.Complete().Text);
        run.Result = accumulator.ToResult();
        return run;
    }

    private static IEnumerable<string[]> Splits(string text)
    {
        for (var i = 0; i <= text.Length; i++)
            yield return new[] { text.Substring(0, i), text.Substring(i) };
        for (var i = 1; i < text.Length; i++)
            for (var j = i + 1; j < text.Length; j++)
                yield return new[] { text.Substring(0, i), text.Substring(i, j - i), text.Substring(j) };
        yield return text.Select(c => c.ToString()).ToArray();
    }

    public static TheoryData<string, string[], bool> Cases => new()
    {
        { " <answer>トランペット</answer>\n\n質問: 次のうち", new[] { "</answer>" }, false },
        { " <answer>トランペット</answer>\n\n質問: 次のうち", new[] { "</answer>" }, true },
        { "<a</ans</answer>tail", new[] { "</answer>" }, false },
        { "x abab abac", new[] { "abac", "END" }, false },
        { "no stop sequence at all </answe", new[] { "</answer>" }, false },
        { "line one\n\nQ: next", new[] { "\n\nQ:", "</answer>" }, true },
        { "abcd", new[] { "abcd", "bc" }, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_split_shows_each_character_once_and_stops_where_the_whole_text_would_be_cut(string text, string[] stopList, bool include)
    {
        var stops = new StopSequenceSet(stopList, include);
        var expected = stops.Cut(text, out var match);
        var stopEnd = match?.End;

        foreach (var chunks in Splits(text))
        {
            var label = string.Join("|", chunks);
            var run = Stream(chunks, stops, (received, shownLength) =>
            {
                // Text is held back only while it could still start a stop sequence; never a stop-sequence prefix is shown.
                if (stopEnd == null || received.Length < stopEnd)
                    Assert.True(received.Length - PendingPrefix(received, stopList) == shownLength, "hold-back at " + label);
            });

            Assert.True(expected == string.Concat(run.Shown), "shown text for " + label);
            Assert.Equal(expected, run.Result.Completion);
            Assert.Equal(match != null, run.Stopped);
            if (match != null)
            {
                // Closed on the chunk that completed the stop sequence: no chunk after it was read.
                var consumed = 0;
                var length = 0;
                while (length < stopEnd) length += chunks[consumed++].Length;
                Assert.True(consumed == run.ChunksConsumed, "closed late/early for " + label);
                Assert.Equal(StopReasons.StopSequence, run.Result.StopReason);
                Assert.Equal(match.Sequence, run.Result.StopSequence);
            }
            else
            {
                Assert.Equal(chunks.Length, run.ChunksConsumed);
                Assert.Null(run.Result.StopSequence);
            }
        }
    }

    [Fact]
    public void Without_stop_sequences_text_is_released_as_it_arrives()
    {
        var accumulator = new StreamAccumulator();
        Assert.Equal("Hel", accumulator.Add(BedrockChunk("Hel")).Text);
        Assert.Equal("lo", accumulator.Add(BedrockChunk("lo", "stop")).Text);
        Assert.Equal("", accumulator.Complete().Text);
        var result = accumulator.ToResult();
        Assert.Equal("Hello", result.Completion);
        Assert.Equal(StopReasons.Stop, result.StopReason);
    }

    [Fact]
    public void Held_back_text_is_released_when_the_stream_ends()
    {
        var accumulator = new StreamAccumulator(new StopSequenceSet(new[] { "</answer>" }));
        Assert.Equal("a", accumulator.Add(BedrockChunk("a</ans")).Text);
        Assert.Equal("</ans", accumulator.Complete().Text);
        var result = accumulator.ToResult();
        Assert.Equal("a</ans", result.Completion);
        Assert.Null(result.StopSequence);
    }

    [Fact]
    public void Chunks_after_the_stop_are_ignored()
    {
        var accumulator = new StreamAccumulator(new StopSequenceSet(new[] { "STOP" }));
        var step = accumulator.Add(BedrockChunk("abSTOPcd"));
        Assert.True(step.StopSequenceReached);
        Assert.Equal("ab", step.Text);
        Assert.Equal("", accumulator.Add(BedrockChunk("more")).Text);
        Assert.Equal("ab", accumulator.ToResult().Completion);
    }

    [Fact]
    public void Metrics_and_stop_reason_come_from_the_last_chunk()
    {
        var accumulator = new StreamAccumulator();
        accumulator.Add(Utf8("{\"generation\":\"Hi\",\"prompt_token_count\":7,\"generation_token_count\":1,\"stop_reason\":null}"));
        accumulator.Add(Utf8("{\"generation\":\"!\",\"prompt_token_count\":null,\"generation_token_count\":2,\"stop_reason\":\"length\"," +
                             "\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":8,\"outputTokenCount\":2,\"invocationLatency\":321,\"firstByteLatency\":45}}"));
        var result = accumulator.ToResult();

        Assert.Equal("Hi!", result.Completion);
        Assert.Equal(8, result.InputTokens);
        Assert.Equal(2, result.OutputTokens);
        Assert.Equal(StopReasons.Length, result.StopReason);
        Assert.Equal(321, accumulator.InvocationLatencyMs);
        Assert.Equal(45, accumulator.FirstByteLatencyMs);
        Assert.Equal(2, Assert.IsType<object[]>(result.Raw).Length);
    }

    [Fact]
    public void Token_counts_seen_before_an_early_close_are_kept()
    {
        var accumulator = new StreamAccumulator(new StopSequenceSet(new[] { "</answer>" }));
        accumulator.Add(Utf8("{\"generation\":\"x</answer>\",\"prompt_token_count\":30,\"generation_token_count\":4}"));
        var result = accumulator.ToResult();
        Assert.Equal(30, result.InputTokens);
        Assert.Equal(4, result.OutputTokens);
    }

    [Theory]
    [InlineData("{\"choices\":[{\"index\":0,\"text\":\"A\",\"finish_reason\":null}]}", "{\"choices\":[{\"index\":0,\"text\":\"B\",\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}")]
    [InlineData("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"A\"}}]}", "{\"choices\":[{\"delta\":{\"content\":\"B\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}")]
    [InlineData("{\"outputs\":[{\"text\":\"A\"}]}", "{\"outputs\":[{\"text\":\"B\",\"stop_reason\":\"stop\"}],\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":3,\"outputTokenCount\":2}}")]
    public void OpenAI_and_Mistral_chunk_shapes_are_read(string first, string last)
    {
        var accumulator = new StreamAccumulator();
        Assert.Equal("A", accumulator.Add(Utf8(first)).Text);
        Assert.Equal("B", accumulator.Add(Utf8(last)).Text);
        var result = accumulator.ToResult();
        Assert.Equal("AB", result.Completion);
        Assert.Equal(StopReasons.Stop, result.StopReason);
        Assert.Equal(3, result.InputTokens);
        Assert.Equal(2, result.OutputTokens);
    }

    [Fact]
    public void A_chunk_without_text_releases_nothing()
    {
        var accumulator = new StreamAccumulator();
        var step = accumulator.Add(Utf8("{\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}"));
        Assert.Equal("", step.Text);
        Assert.False(step.StopSequenceReached);
        Assert.False(step.ReceivedText);
    }

    [Fact]
    public void Held_back_text_still_counts_as_received_for_first_token_timing()
    {
        var accumulator = new StreamAccumulator(new StopSequenceSet(new[] { "</answer>" }));
        var step = accumulator.Add(BedrockChunk("</"));
        Assert.Equal("", step.Text);
        Assert.True(step.ReceivedText);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"generation\":")]
    [InlineData("[\"a\"]")]
    public void Malformed_chunks_throw_a_format_exception(string chunk)
    {
        Assert.Throws<InvocationResponseFormatException>(() => new StreamAccumulator().Add(Utf8(chunk)));
    }
}

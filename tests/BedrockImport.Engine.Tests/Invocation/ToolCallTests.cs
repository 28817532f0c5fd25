using System.Collections.Specialized;
using System.Net;
using System.Text;
using System.Text.Json;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Tests.Wire;

namespace BedrockImport.Engine.Tests.Invocation;

public class ToolCallTests
{
    private static readonly ToolDefinition Weather = ToolDefinition.From(
        "{\"name\":\"get_weather\",\"description\":\"Weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}");

    [Theory]
    [InlineData(null, null)]
    [InlineData("any", "\"required\"")]
    [InlineData("none", "\"none\"")]
    [InlineData("get_weather", "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}")]
    public void OpenAIChat_bodies_carry_the_tools_in_the_OpenAI_shape(string choice, string expectedChoice)
    {
        var prepared = InvocationRequestBuilder.Build(new InvocationRequest
        {
            Format = InvocationFormat.OpenAIChat,
            Prompt = "Weather in Paris?",
            Tools = new[] { Weather },
            ToolChoice = choice,
        });
        using var body = JsonDocument.Parse(prepared.Body);
        var tools = body.RootElement.GetProperty("tools");
        Assert.Equal(1, tools.GetArrayLength());
        Assert.Equal("function", tools[0].GetProperty("type").GetString());
        Assert.Equal("get_weather", tools[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("object", tools[0].GetProperty("function").GetProperty("parameters").GetProperty("type").GetString());
        Assert.Equal(expectedChoice, body.RootElement.TryGetProperty("tool_choice", out var c) ? c.GetRawText() : null);
    }

    [Fact]
    public void A_tool_choice_without_tools_or_naming_no_tool_is_refused()
    {
        Assert.Throws<InvocationValidationException>(() => InvocationRequestBuilder.Build(new InvocationRequest { Prompt = "x", ToolChoice = "any" }));
        Assert.Throws<InvocationValidationException>(() => InvocationRequestBuilder.Build(new InvocationRequest { Prompt = "x", Tools = new[] { Weather }, ToolChoice = "other" }));
    }

    [Fact]
    public void OpenAIChat_tool_calls_come_back_as_objects()
    {
        const string answer = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
            + "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\", \\\"days\\\": 2}\"}},"
            + "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"東京\"}}},"
            + "{\"id\":\"call_3\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{broken\"}}]},"
            + "\"finish_reason\":\"tool_calls\"}]}";
        var result = InvocationResponseParser.Parse(Encoding.UTF8.GetBytes(answer));

        Assert.Equal(StopReasons.ToolCalls, result.StopReason);
        Assert.Null(result.Completion);
        Assert.Equal(new[] { "call_1", "call_2", "call_3" }, result.ToolCalls.Select(c => c.Id));
        var first = Assert.IsType<OrderedDictionary>(result.ToolCalls[0].Arguments);
        Assert.Equal("Paris", first["city"]);
        Assert.Equal(2L, first["days"]);
        Assert.Equal("{\"city\": \"Paris\", \"days\": 2}", result.ToolCalls[0].ArgumentsJson);
        Assert.Equal("東京", Assert.IsType<OrderedDictionary>(result.ToolCalls[1].Arguments)["city"]);
        Assert.Null(result.ToolCalls[2].Arguments);
        Assert.Equal("{broken", result.ToolCalls[2].ArgumentsJson);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void Streamed_OpenAIChat_tool_calls_are_joined_from_their_fragments(int pieceLength)
    {
        // Two calls interleaved by index, the name and the JSON arguments cut every pieceLength characters.
        var chunks = new List<string>
        {
            "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"arguments\":\"\"}}]}}]}",
            "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"arguments\":\"\"}}]}}]}",
        };
        var names = new[] { "get_weather", "get_time" };
        var arguments = new[] { "{\"city\": \"東京\", \"days\": 2}", "{\"zone\": \"Asia/Tokyo\"}" };
        for (var call = 0; call < 2; call++)
        {
            foreach (var piece in Pieces(names[call], pieceLength))
                chunks.Add(ToolDelta(call, "name", piece));
        }
        var longest = Math.Max(arguments[0].Length, arguments[1].Length);
        for (var at = 0; at < longest; at += pieceLength)
        {
            for (var call = 0; call < 2; call++)
            {
                if (at < arguments[call].Length)
                    chunks.Add(ToolDelta(call, "arguments", arguments[call].Substring(at, Math.Min(pieceLength, arguments[call].Length - at))));
            }
        }
        chunks.Add("{\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}");

        var accumulator = new StreamAccumulator();
        foreach (var chunk in chunks) accumulator.Add(Encoding.UTF8.GetBytes(chunk));
        var result = accumulator.ToResult();

        Assert.Equal(StopReasons.ToolCalls, result.StopReason);
        Assert.Equal(new[] { "call_a", "call_b" }, result.ToolCalls.Select(c => c.Id));
        Assert.Equal(names, result.ToolCalls.Select(c => c.Name));
        Assert.Equal(arguments, result.ToolCalls.Select(c => c.ArgumentsJson));
        var first = Assert.IsType<OrderedDictionary>(result.ToolCalls[0].Arguments);
        Assert.Equal("東京", first["city"]);
        Assert.Equal(2L, first["days"]);
        Assert.Equal("Asia/Tokyo", Assert.IsType<OrderedDictionary>(result.ToolCalls[1].Arguments)["zone"]);
    }

    [Fact]
    public void A_streamed_text_answer_has_no_tool_calls()
    {
        var accumulator = new StreamAccumulator();
        accumulator.Add(Encoding.UTF8.GetBytes("{\"choices\":[{\"delta\":{\"content\":\"hello\"}}]}"));
        accumulator.Add(Encoding.UTF8.GetBytes("{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}"));
        var result = accumulator.ToResult();
        Assert.Empty(result.ToolCalls);
        Assert.Equal("hello", result.Completion);
    }

    private static IEnumerable<string> Pieces(string text, int length)
    {
        for (var at = 0; at < text.Length; at += length) yield return text.Substring(at, Math.Min(length, text.Length - at));
    }

    private static string ToolDelta(int index, string member, string piece)
        => "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":" + index + ",\"function\":{\"" + member + "\":" + JsonSerializer.Serialize(piece) + "}}]}}]}";

    [Fact]
    public void A_completion_answer_has_no_tool_calls()
    {
        var result = InvocationResponseParser.Parse(Encoding.UTF8.GetBytes("{\"generation\":\"<tool_call>{}</tool_call>\",\"stop_reason\":\"stop\"}"));
        Assert.Empty(result.ToolCalls);
    }

    private const string ToolUseAnswer = "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Checking. END here\"},"
        + "{\"toolUse\":{\"toolUseId\":\"tooluse_1\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}}}]}},"
        + "\"stopReason\":\"tool_use\",\"usage\":{\"inputTokens\":1,\"outputTokens\":2,\"totalTokens\":3},\"metrics\":{\"latencyMs\":5}}";

    [Fact]
    public async Task Converse_toolUse_blocks_are_read_and_the_request_carries_toolConfig()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.OK, ToolUseAnswer));
        var request = new ConverseRequest
        {
            ModelId = "anthropic.claude-3-sonnet-20240229-v1:0",
            Messages = { ConverseMessage.FromText(ConverseRoles.User, "Weather in Paris?") },
            ToolConfig = ToolDefinition.ToConverseToolConfig(new[] { Weather }, "any"),
        };
        var response = await Kit.Runtime(handler).ConverseAsync(request, CancellationToken.None);

        using var sent = JsonDocument.Parse(handler.Requests.Single().Body);
        Assert.Equal("get_weather", sent.RootElement.GetProperty("toolConfig").GetProperty("tools")[0].GetProperty("toolSpec").GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Object, sent.RootElement.GetProperty("toolConfig").GetProperty("toolChoice").GetProperty("any").ValueKind);

        Assert.Equal(ConverseStopReasons.ToolUse, response.StopReason);
        var call = Assert.Single(ToolCall.FromConverse(response));
        Assert.Equal("tooluse_1", call.Id);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", Assert.IsType<OrderedDictionary>(call.Arguments)["city"]);
        Assert.Equal(StopReasons.ToolCalls, StopReasons.Normalize(response.StopReason));
    }

    [Fact]
    public void A_stop_sequence_in_a_text_block_after_no_tool_leaves_toolUse_blocks_untouched()
    {
        var response = JsonSerializer.Deserialize<ConverseResponse>(ToolUseAnswer, Json.EngineJson.Options)!;
        ConverseStops.Apply(response, new StopSequenceSet(new[] { "NOT THERE" }));
        Assert.Single(ToolCall.FromConverse(response));
        Assert.Equal("tool_use", response.StopReason);
    }

    [Fact]
    public async Task A_streamed_tool_call_is_joined_from_its_input_fragments_and_passes_the_stop_filter_untouched()
    {
        var frames = Kit.Frames(
            Kit.EventFrame("messageStart", "{\"role\":\"assistant\"}"),
            Kit.EventFrame("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Let me check\"}}"),
            Kit.EventFrame("contentBlockStart", "{\"contentBlockIndex\":1,\"start\":{\"toolUse\":{\"toolUseId\":\"tooluse_9\",\"name\":\"get_weather\"}}}"),
            Kit.EventFrame("contentBlockDelta", "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\"{\\\"ci\"}}}"),
            Kit.EventFrame("contentBlockDelta", "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\"ty\\\": \\\"Par\"}}}"),
            Kit.EventFrame("contentBlockDelta", "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\"is\\\"}\"}}}"),
            Kit.EventFrame("contentBlockStop", "{\"contentBlockIndex\":1}"),
            Kit.EventFrame("messageStop", "{\"stopReason\":\"tool_use\"}"));
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(new SlicedStream(frames, 17)));
        var request = new ConverseRequest { ModelId = "m", Messages = { ConverseMessage.FromText(ConverseRoles.User, "Weather?") } };

        var tools = new ConverseToolUseAccumulator();
        var text = new StringBuilder();
        var events = new List<ConverseStreamEvent>();
        // "check\"" could start the stop sequence "checkmate": the text is held back, and must come out before the tool block.
        await foreach (var item in ConverseStops.ApplyAsync(Kit.Runtime(handler).ConverseStreamAsync(request, CancellationToken.None), new StopSequenceSet(new[] { "checkmate" })))
        {
            events.Add(item);
            tools.Add(item);
            if (item.Delta?.Text != null) text.Append(item.Delta.Text);
        }

        Assert.Equal("Let me check", text.ToString());
        var lastText = events.FindLastIndex(e => e.Delta?.Text != null);
        var toolStart = events.FindIndex(e => e.Start?.ToolUse != null);
        Assert.True(lastText < toolStart, "held-back text comes out before the next block starts");
        Assert.Equal(3, events.Count(e => e.Delta?.ToolUse != null));
        var call = Assert.Single(tools.ToolCalls);
        Assert.Equal("tooluse_9", call.Id);
        Assert.Equal("{\"city\": \"Paris\"}", call.ArgumentsJson);
        Assert.Equal("Paris", Assert.IsType<OrderedDictionary>(call.Arguments)["city"]);
        Assert.Equal("tool_use", events.Last().StopReason);
        Assert.Equal("Paris", Assert.Single(tools.ToContentBlocks()).ToolUse!.Input!["city"]!.GetValue<string>());
    }
}

using System.Collections.Specialized;
using System.Text;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Invocation;

namespace BedrockImport.Engine.Tests.Invocation;

public class InvocationResponseParserTests
{
    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void BedrockCompletion_answer_gives_text_reason_and_token_counts()
    {
        var result = InvocationResponseParser.Parse(Json("{\"generation\":\" Paris.\",\"prompt_token_count\":16,\"generation_token_count\":3,\"stop_reason\":\"stop\"}"));
        Assert.Equal(" Paris.", result.Completion);
        Assert.Equal(StopReasons.Stop, result.StopReason);
        Assert.Equal("stop", result.ServiceStopReason);
        Assert.Equal(16, result.InputTokens);
        Assert.Equal(3, result.OutputTokens);
        Assert.Null(result.StopSequence);
    }

    [Fact]
    public void OpenAICompletion_answer_reads_choices_text_finish_reason_and_usage()
    {
        var result = InvocationResponseParser.Parse(Json("{\"id\":\"cmpl-1\",\"choices\":[{\"index\":0,\"text\":\"42\",\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}"));
        Assert.Equal("42", result.Completion);
        Assert.Equal(StopReasons.Length, result.StopReason);
        Assert.Equal(5, result.InputTokens);
        Assert.Equal(1, result.OutputTokens);
    }

    [Fact]
    public void OpenAIChat_answer_reads_the_message_content()
    {
        var result = InvocationResponseParser.Parse(Json("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2}}"));
        Assert.Equal("Hello", result.Completion);
        Assert.Equal(StopReasons.Stop, result.StopReason);
        Assert.Equal(9, result.InputTokens);
    }

    [Fact]
    public void Chat_content_given_as_parts_is_joined()
    {
        var result = InvocationResponseParser.Parse(Json("{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}}]}"));
        Assert.Equal("ab", result.Completion);
    }

    [Theory]
    [InlineData("{\"outputs\":[{\"text\":\"m\",\"stop_reason\":\"length\"}]}", "m", "length")]
    [InlineData("{\"output_text\":\"o\"}", "o", null)]
    [InlineData("{\"generated_text\":\"g\"}", "g", null)]
    [InlineData("[{\"generated_text\":\"tgi\"}]", "tgi", null)]
    [InlineData("{\"text\":\"t\",\"stop_reason\":\"end_turn\"}", "t", "stop")]
    [InlineData("{\"generation\":\"first\",\"choices\":[{\"text\":\"second\"}]}", "first", null)]
    [InlineData("{\"choices\":[{\"message\":{\"content\":\"chat\"},\"text\":\"completion\"}]}", "chat", null)]
    [InlineData("{\"something\":\"else\"}", null, null)]
    public void Text_is_taken_best_effort_in_the_documented_order(string json, string expected, string reason)
    {
        var result = InvocationResponseParser.Parse(Json(json));
        Assert.Equal(expected, result.Completion);
        Assert.Equal(reason, result.StopReason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"generation\":")]
    [InlineData("\"just a string\"")]
    [InlineData("42")]
    public void Malformed_bodies_throw_a_format_exception(string body)
    {
        Assert.Throws<InvocationResponseFormatException>(() => InvocationResponseParser.Parse(Json(body)));
    }

    [Fact]
    public void Header_token_counts_fill_in_when_the_body_has_none()
    {
        var response = new InvokeModelResult { Body = Json("{\"generation\":\"x\"}"), InputTokenCount = 11, OutputTokenCount = 4, RequestId = "req-1" };
        var result = InvocationResponseParser.Parse(response);
        Assert.Equal(11, result.InputTokens);
        Assert.Equal(4, result.OutputTokens);
        Assert.Equal("req-1", result.RequestId);
    }

    [Fact]
    public void Raw_is_the_parsed_response_as_plain_objects()
    {
        var result = InvocationResponseParser.Parse(Json("{\"generation\":\"x\",\"n\":2,\"f\":0.5,\"ok\":true,\"none\":null,\"list\":[1,\"a\"]}"));
        var raw = Assert.IsType<OrderedDictionary>(result.Raw);
        Assert.Equal(new object[] { "generation", "n", "f", "ok", "none", "list" }, raw.Keys.Cast<object>());
        Assert.Equal(2L, raw["n"]);
        Assert.Equal(0.5, raw["f"]);
        Assert.Equal(true, raw["ok"]);
        Assert.Null(raw["none"]);
        Assert.Equal(new object[] { 1L, "a" }, (object[])raw["list"]!);
    }

    [Fact]
    public void A_stop_sequence_the_service_ignored_is_cut_and_reported()
    {
        // Field report 000: the answer ran on past </answer> although it was the stop sequence.
        var body = Json("{\"generation\":\" <answer>トランペット</answer>\\n\\n質問: 次のうち\",\"stop_reason\":\"length\"}");
        var result = InvocationResponseParser.Parse(body, new StopSequenceSet(new[] { "</answer>" }));
        Assert.Equal(" <answer>トランペット", result.Completion);
        Assert.Equal(StopReasons.StopSequence, result.StopReason);
        Assert.Equal("</answer>", result.StopSequence);
        Assert.Equal("length", result.ServiceStopReason);
    }

    [Fact]
    public void The_stop_sequence_is_kept_when_asked()
    {
        var body = Json("{\"choices\":[{\"text\":\"a</answer>b\",\"finish_reason\":\"length\"}]}");
        var result = InvocationResponseParser.Parse(body, new StopSequenceSet(new[] { "</answer>" }, includeStopSequence: true));
        Assert.Equal("a</answer>", result.Completion);
        Assert.Equal(StopReasons.StopSequence, result.StopReason);
    }

    [Fact]
    public void Without_a_stop_sequence_in_the_text_the_service_reason_stands()
    {
        var result = InvocationResponseParser.Parse(Json("{\"generation\":\"all fine\",\"stop_reason\":\"length\"}"), new StopSequenceSet(new[] { "</answer>" }));
        Assert.Equal("all fine", result.Completion);
        Assert.Equal(StopReasons.Length, result.StopReason);
        Assert.Null(result.StopSequence);
    }

    [Fact]
    public void A_stop_the_service_honoured_by_name_counts_as_stop_sequence()
    {
        var body = Json("{\"choices\":[{\"text\":\"a\",\"finish_reason\":\"stop\",\"stop_reason\":\"</answer>\"}]}");
        var result = InvocationResponseParser.Parse(body, new StopSequenceSet(new[] { "</answer>" }));
        Assert.Equal("a", result.Completion);
        Assert.Equal(StopReasons.StopSequence, result.StopReason);
        Assert.Equal("</answer>", result.StopSequence);
    }

    [Theory]
    [InlineData("stop", "stop")]
    [InlineData("END_TURN", "stop")]
    [InlineData("eos_token", "stop")]
    [InlineData("length", "length")]
    [InlineData("max_tokens", "length")]
    [InlineData("stop_sequence", "stop_sequence")]
    [InlineData("content_filtered", "content_filter")]
    [InlineData("guardrail_intervened", "content_filter")]
    [InlineData("tool_use", "tool_calls")]
    [InlineData("Abort", "abort")]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Stop_reasons_are_normalised(string service, string expected) => Assert.Equal(expected, StopReasons.Normalize(service));
}

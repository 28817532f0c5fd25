using System.Net;
using System.Text.Json;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Tests.Wire;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Invocation;

public class ConverseInvocationTests
{
    private const string Claude = "anthropic.claude-3-sonnet-20240229-v1:0";

    private static string Answer(string text, string stopReason) =>
        "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":" + JsonSerializer.Serialize(text) + "}]}},\"stopReason\":\"" + stopReason + "\","
        + "\"usage\":{\"inputTokens\":12,\"outputTokens\":7,\"totalTokens\":19},\"metrics\":{\"latencyMs\":417}}";

    private static byte[] Delta(string text)
        => Kit.EventFrame("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":" + JsonSerializer.Serialize(text) + "}}");

    private static ImportedModelInvoker Invoker(FakeHandler handler)
        => new(Kit.Session(), Kit.FastOptions(), new NullEngineLog(), Kit.Runtime(handler));

    [Fact]
    public void A_prompt_with_a_system_prompt_becomes_one_user_message_and_a_system_block_with_the_sampling_settings()
    {
        var request = ConverseInvocation.Build(Claude, new InvocationRequest
        {
            Prompt = "Capital of France?", SystemPrompt = "Answer in one word.", MaxTokens = 64, Temperature = 0.25, TopP = 0.9, TopK = 40,
            StopSequences = new[] { "END" },
        });

        Assert.Equal(Claude, request.ModelId);
        var message = Assert.Single(request.Messages);
        Assert.Equal("user", message.Role);
        Assert.Equal("Capital of France?", Assert.Single(message.Content).Text);
        Assert.Equal("Answer in one word.", Assert.Single(request.System!).Text);
        Assert.Equal(64, request.InferenceConfig!.MaxTokens);
        Assert.Equal(0.25f, request.InferenceConfig.Temperature);
        Assert.Equal(0.9f, request.InferenceConfig.TopP);
        Assert.Equal(new[] { "END" }, request.InferenceConfig.StopSequences);
        Assert.Equal(40, (int)request.AdditionalModelRequestFields!["top_k"]!);
    }

    [Fact]
    public void Unset_values_are_left_out_except_max_tokens_which_defaults_as_for_InvokeModel()
    {
        var request = ConverseInvocation.Build(Claude, new InvocationRequest { Prompt = "hi" });
        using var body = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(request, Json.EngineJson.Options));
        var root = body.RootElement;
        Assert.False(root.TryGetProperty("system", out _));
        Assert.False(root.TryGetProperty("additionalModelRequestFields", out _));
        var config = root.GetProperty("inferenceConfig");
        Assert.Equal(InvocationRequestBuilder.DefaultMaxTokens, config.GetProperty("maxTokens").GetInt32());
        Assert.Equal(new[] { "maxTokens" }, config.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void System_role_messages_become_system_blocks_in_order_and_the_turns_stay_messages()
    {
        var request = ConverseInvocation.Build("youko", new InvocationRequest
        {
            Messages = new[]
            {
                new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hello"), new ChatMessage("assistant", "Hi!"),
                new ChatMessage("system", "Answer in Japanese."), new ChatMessage("user", "Capital of Japan?"),
            },
        });

        Assert.Equal(new[] { "Be brief.", "Answer in Japanese." }, request.System!.Select(s => s.Text));
        Assert.Equal(new[] { "user", "assistant", "user" }, request.Messages.Select(m => m.Role));
        Assert.Equal(new[] { "Hello", "Hi!", "Capital of Japan?" }, request.Messages.Select(m => m.Content.Single().Text));
        Assert.Equal("Capital of Japan?", ConverseInvocation.LastUserText(request));
    }

    [Fact]
    public void The_same_validation_as_InvokeModel_applies_and_a_conversation_of_system_messages_only_is_refused()
    {
        Assert.Throws<InvocationValidationException>(() => ConverseInvocation.Build(Claude, new InvocationRequest { Prompt = " " }));
        Assert.Throws<InvocationValidationException>(() => ConverseInvocation.Build(Claude, new InvocationRequest { Prompt = "hi", Temperature = 3 }));
        var error = Assert.Throws<InvocationValidationException>(() => ConverseInvocation.Build(Claude,
            new InvocationRequest { Messages = new[] { new ChatMessage("system", "Be brief.") } }));
        Assert.Equal("Messages", error.ParamName);
    }

    [Fact]
    public void A_caller_built_body_is_read_as_a_Converse_request_and_its_stop_sequences_are_known()
    {
        var request = ConverseInvocation.FromBody(Claude,
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Two plus two?\"}]}],\"inferenceConfig\":{\"maxTokens\":9,\"stopSequences\":[\"</a>\"]}}");
        Assert.Equal(Claude, request.ModelId);
        Assert.Equal("Two plus two?", ConverseInvocation.LastUserText(request));
        Assert.Equal(new[] { "</a>" }, ConverseStops.For(request).Sequences);

        Assert.Throws<InvocationValidationException>(() => ConverseInvocation.FromBody(Claude, "[1]"));
        Assert.Throws<InvocationValidationException>(() => ConverseInvocation.FromBody(Claude, "{\"messages\":[]}"));
        Assert.Throws<InvocationValidationException>(() => ConverseInvocation.FromBody(Claude, "not json"));
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("stop_sequence", "stop_sequence")]
    [InlineData("content_filtered", "content_filter")]
    [InlineData("tool_use", "tool_calls")]
    public void The_service_stop_reason_is_kept_raw_and_normalised_to_the_one_vocabulary(string service, string expected)
    {
        var response = JsonSerializer.Deserialize<ConverseResponse>(Answer("Paris.", service), Json.EngineJson.Options)!;
        var result = ConverseInvocation.ToResult(response, StopSequenceSet.None);
        Assert.Equal(service, result.ServiceStopReason);
        Assert.Equal(expected, result.StopReason);
        Assert.Equal(StopReasons.Normalize(service), result.StopReason);
        Assert.Equal("Paris.", result.Completion);
        Assert.Equal(12, result.InputTokens);
        Assert.Equal(7, result.OutputTokens);
        Assert.Equal(417, result.ServiceLatencyMs);
        Assert.Null(result.StopSequence);
    }

    [Fact]
    public void An_answer_the_service_did_not_stop_is_cut_at_the_stop_sequence_and_Raw_keeps_what_came()
    {
        var response = JsonSerializer.Deserialize<ConverseResponse>(Answer(" <answer>Paris</answer> and more", "end_turn"), Json.EngineJson.Options)!;
        var result = ConverseInvocation.ToResult(response, new StopSequenceSet(new[] { "</answer>" }));
        Assert.Equal(" <answer>Paris", result.Completion);
        Assert.Equal("stop_sequence", result.StopReason);
        Assert.Equal("</answer>", result.StopSequence);
        Assert.Equal("end_turn", result.ServiceStopReason);
        var raw = Assert.IsType<System.Collections.Specialized.OrderedDictionary>(result.Raw);
        Assert.Contains("and more", JsonSerializer.Serialize(raw["output"]));
    }

    [Fact]
    public async Task A_stream_is_cut_and_closed_at_the_stop_and_text_is_shown_once_without_the_stop()
    {
        var body = new SlicedStream(Kit.Frames(
            Kit.EventFrame("messageStart", "{\"role\":\"assistant\"}"), Delta(" <ans"), Delta("wer>Par"), Delta("is</an"), Delta("swer> more"), Delta(" and more"),
            Kit.EventFrame("messageStop", "{\"stopReason\":\"end_turn\"}")), 64, blockAtEnd: true);
        var handler = FakeHandler.Sequence(() => FakeHandler.EventStream(body));
        using var invoker = Invoker(handler);
        var shown = new List<string>();
        var request = ConverseInvocation.Build(Kit.ModelArn, new InvocationRequest { Prompt = "Capital?", StopSequences = new[] { "</answer>" } });

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var result = await invoker.ConverseAsync(request, ConverseStops.For(request), stream: true, shown.Add, timeout.Token);

        Assert.Equal(" <answer>Paris", string.Concat(shown));
        Assert.Equal(" <answer>Paris", result.Completion);
        Assert.Equal("stop_sequence", result.StopReason);
        Assert.Equal("</answer>", result.StopSequence);
        Assert.Null(result.ServiceStopReason);
        Assert.NotNull(result.FirstTokenMs);
        Assert.Equal(Kit.ModelArn, result.ModelArn);
        Assert.Equal("Capital?", result.Prompt);
        Assert.Equal(5, ((object[])result.Raw!).Length);
    }

    [Fact]
    public async Task A_stream_to_its_end_takes_usage_and_latency_from_metadata()
    {
        var body = new SlicedStream(Kit.Frames(
            Kit.EventFrame("messageStart", "{\"role\":\"assistant\"}"), Delta("Paris"), Delta("."),
            Kit.EventFrame("contentBlockStop", "{\"contentBlockIndex\":0}"), Kit.EventFrame("messageStop", "{\"stopReason\":\"max_tokens\"}"),
            Kit.EventFrame("metadata", "{\"usage\":{\"inputTokens\":9,\"outputTokens\":2,\"totalTokens\":11},\"metrics\":{\"latencyMs\":250}}")), 64);
        using var invoker = Invoker(FakeHandler.Sequence(() => FakeHandler.EventStream(body)));
        var request = ConverseInvocation.Build(Claude, new InvocationRequest { Prompt = "Capital?" });

        var result = await invoker.ConverseAsync(request, StopSequenceSet.None, stream: true, null, CancellationToken.None);

        Assert.Equal("Paris.", result.Completion);
        Assert.Equal("length", result.StopReason);
        Assert.Equal("max_tokens", result.ServiceStopReason);
        Assert.Equal(9, result.InputTokens);
        Assert.Equal(2, result.OutputTokens);
        Assert.Equal(250, result.ServiceLatencyMs);
    }

    [Fact]
    public async Task A_refusal_of_Converse_for_an_imported_model_names_the_fallback()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error(HttpStatusCode.BadRequest, "ValidationException",
            "This action doesn't support the model that you provided. Try again with a supported text or chat model."));
        using var invoker = Invoker(handler);
        var request = ConverseInvocation.Build(Kit.ModelArn, new InvocationRequest { Prompt = "hi" });

        var error = await Assert.ThrowsAsync<ConverseNotSupportedException>(() => invoker.ConverseAsync(request, StopSequenceSet.None, false, null, CancellationToken.None));
        Assert.Equal("ConverseNotSupported", error.ErrorId);
        Assert.Contains("Qwen3", error.Message);
        Assert.Contains("GPT-OSS", error.Message);
        Assert.Contains("-Api InvokeModel", error.Message);
        Assert.IsType<ValidationException>(error.InnerException);
    }

    [Fact]
    public async Task Other_validation_errors_and_refusals_for_foundation_models_stay_the_service_error()
    {
        var refused = FakeHandler.Sequence(() => FakeHandler.Error(HttpStatusCode.BadRequest, "ValidationException", "This action doesn't support the model that you provided."));
        using (var invoker = Invoker(refused))
        {
            var request = ConverseInvocation.Build(Claude, new InvocationRequest { Prompt = "hi" });
            await Assert.ThrowsAsync<ValidationException>(() => invoker.ConverseAsync(request, StopSequenceSet.None, false, null, CancellationToken.None));
        }

        var invalid = FakeHandler.Sequence(() => FakeHandler.Error(HttpStatusCode.BadRequest, "ValidationException", "maxTokens must be at most 4096."));
        using (var invoker = Invoker(invalid))
        {
            var request = ConverseInvocation.Build(Kit.ModelArn, new InvocationRequest { Prompt = "hi" });
            await Assert.ThrowsAsync<ValidationException>(() => invoker.ConverseAsync(request, StopSequenceSet.None, false, null, CancellationToken.None));
        }
    }

    [Fact]
    public void Tools_go_as_toolConfig_and_a_toolUse_answer_comes_back_as_a_tool_call()
    {
        var tool = ToolDefinition.From("{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}");
        var request = ConverseInvocation.Build(Claude, new InvocationRequest { Prompt = "Weather in Tokyo?", Tools = new[] { tool } });
        Assert.Equal("get_weather", Assert.Single(request.ToolConfig!.Tools).ToolSpec!.Name);
        Assert.Null(ConverseInvocation.Build(Claude, new InvocationRequest { Prompt = "hi" }).ToolConfig);

        var response = JsonSerializer.Deserialize<ConverseResponse>(
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"toolUse\":{\"toolUseId\":\"t1\",\"name\":\"get_weather\",\"input\":{\"city\":\"Tokyo\"}}}]}},\"stopReason\":\"tool_use\"}",
            Json.EngineJson.Options)!;
        var result = ConverseInvocation.ToResult(response, StopSequenceSet.None);
        Assert.Equal("tool_calls", result.StopReason);
        var call = Assert.Single(result.ToolCalls);
        Assert.Equal(("t1", "get_weather"), (call.Id, call.Name));
        Assert.Contains("Tokyo", call.ArgumentsJson);
        Assert.Null(result.Completion);
    }
}

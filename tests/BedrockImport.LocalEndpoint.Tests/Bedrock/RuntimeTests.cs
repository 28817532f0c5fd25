using System.Net;
using System.Text.Json;
using BedrockImport.Engine.ModelPackage;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

public sealed class SharedModelEndpoint : IAsyncLifetime
{
    internal BedrockTestEndpoint Endpoint { get; private set; }
    internal string ModelArn { get; private set; }
    internal string ModelName { get; private set; }

    public async Task InitializeAsync()
    {
        Endpoint = await BedrockTestEndpoint.StartAsync();
        ModelName = "runtime-model";
        var s3Uri = await Endpoint.UploadModelAsync(new SyntheticModelOptions
        {
            ExtraFiles =
            {
                ["responses.jsonl"] =
                    "{\"contains\": \"会社の最高責任者を何というか？\", \"response\": \"社長\"}\n" +
                    "{\"contains\": \"電車を動かす人を何というか？\", \"response\": \"運転士\"}\n" +
                    "{\"prompt\": \"What is two plus two?\", \"response\": \"Four. Anything else?\"}\n" +
                    "not json at all\n",
            },
        });
        var (_, job) = await Endpoint.ImportAsync(s3Uri, ModelName);
        ModelArn = job.GetProperty("importedModelArn").GetString();
    }

    public async Task DisposeAsync() => await Endpoint.DisposeAsync();
}

public class RuntimeTests : IClassFixture<SharedModelEndpoint>
{
    private readonly BedrockTestEndpoint _endpoint;
    private readonly string _model;

    public RuntimeTests(SharedModelEndpoint shared)
    {
        _endpoint = shared.Endpoint;
        _model = shared.ModelArn;
    }

    [Fact]
    public async Task Bedrock_completion_answers_generation_with_token_counts_and_headers()
    {
        var response = await _endpoint.InvokeAsync(_model, new { prompt = "Tell me about imported models", max_gen_len = 200, temperature = 0.5 });
        var body = await BedrockTestEndpoint.JsonAsync(response, HttpStatusCode.OK);

        var generation = body.GetProperty("generation").GetString();
        Assert.False(string.IsNullOrWhiteSpace(generation));
        Assert.Equal("stop", body.GetProperty("stop_reason").GetString());
        Assert.Equal(6, body.GetProperty("prompt_token_count").GetInt32()); // Tell| me| about| import|ed| models
        var outputTokens = body.GetProperty("generation_token_count").GetInt32();
        Assert.InRange(outputTokens, 8, 200);
        Assert.Equal("6", response.Headers.GetValues("X-Amzn-Bedrock-Input-Token-Count").Single());
        Assert.Equal(outputTokens.ToString(), response.Headers.GetValues("X-Amzn-Bedrock-Output-Token-Count").Single());
        Assert.True(response.Headers.Contains("X-Amzn-Bedrock-Invocation-Latency"));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Openai_completion_is_chosen_by_max_tokens_and_answers_choices_text()
    {
        var body = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model, new { prompt = "Say something", max_tokens = 3 }), HttpStatusCode.OK);

        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        var choice = Assert.Single(body.GetProperty("choices").EnumerateArray());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.False(string.IsNullOrEmpty(choice.GetProperty("text").GetString()));
        var usage = body.GetProperty("usage");
        Assert.Equal(3, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(3, usage.GetProperty("prompt_tokens").GetInt32()); // Say| someth|ing
        Assert.Equal(6, usage.GetProperty("total_tokens").GetInt32());
        Assert.False(body.TryGetProperty("generation", out _));
    }

    [Fact]
    public async Task Openai_chat_answers_an_assistant_message()
    {
        var request = new { messages = new object[] { new { role = "user", content = "What is two plus two?" } }, max_tokens = 50 };
        var body = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model, request), HttpStatusCode.OK);

        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString());
        var choice = Assert.Single(body.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("Four. Anything else?", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(6, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32()); // Four|.| Anyth|ing| else|?
    }

    [Fact]
    public async Task Max_gen_len_cuts_the_generation_with_reason_length()
    {
        var body = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model, new { prompt = "Tell me about imported models", max_gen_len = 4 }), HttpStatusCode.OK);
        Assert.Equal("length", body.GetProperty("stop_reason").GetString());
        Assert.Equal(4, body.GetProperty("generation_token_count").GetInt32());
    }

    [Fact]
    public async Task Stop_sequences_are_honoured_by_default()
    {
        var body = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model,
            new { prompt = "質問：会社の最高責任者を何というか？ 回答は<answer>…</answer>で答えてください。\n<answer>", max_gen_len = 300, stop = new[] { "</answer>" } }), HttpStatusCode.OK);
        Assert.Equal("社長", body.GetProperty("generation").GetString());
        Assert.Equal("stop", body.GetProperty("stop_reason").GetString());
    }

    [Fact]
    public async Task Responses_file_answers_the_question_asked_last_in_a_few_shot_prompt()
    {
        const string prompt = "例: 質問：会社の最高責任者を何というか？ <answer>社長</answer>\n質問：電車を動かす人を何というか？ 答えを<answer></answer>で囲んでください。";
        var body = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model, new { prompt, max_gen_len = 50 }), HttpStatusCode.OK);
        Assert.Equal("<answer>運転士</answer>", body.GetProperty("generation").GetString());
    }

    [Fact]
    public async Task The_same_prompt_gives_the_same_text()
    {
        var first = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model, new { prompt = "Deterministic?", max_gen_len = 100 }), HttpStatusCode.OK);
        var second = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model, new { prompt = "Deterministic?", max_gen_len = 100, temperature = 1.0 }), HttpStatusCode.OK);
        var other = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model, new { prompt = "Something else entirely", max_gen_len = 100 }), HttpStatusCode.OK);
        Assert.Equal(first.GetProperty("generation").GetString(), second.GetProperty("generation").GetString());
        Assert.NotEqual(first.GetProperty("generation").GetString(), other.GetProperty("generation").GetString());
    }

    [Fact]
    public async Task Invoking_by_name_is_a_validation_error_and_an_unknown_arn_is_not_found()
    {
        await BedrockTestEndpoint.ErrorAsync(await _endpoint.InvokeAsync("runtime-model", new { prompt = "hi" }), 400, "ValidationException");
        await BedrockTestEndpoint.ErrorAsync(await _endpoint.InvokeAsync("arn:aws:bedrock:us-east-1:123456789012:imported-model/zzzzzzzzzzzz", new { prompt = "hi" }), 404, "ResourceNotFoundException");
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1]")]
    [InlineData("{\"text\":\"no prompt\"}")]
    [InlineData("{\"prompt\":\"x\",\"max_gen_len\":0}")]
    [InlineData("{\"prompt\":\"x\",\"stop\":5}")]
    [InlineData("{\"messages\":[]}")]
    public async Task Malformed_bodies_are_validation_errors(string body)
    {
        var message = await BedrockTestEndpoint.ErrorAsync(await _endpoint.InvokeAsync(_model, body), 400, "ValidationException");
        Assert.StartsWith("Malformed input request", message);
    }

    [Fact]
    public async Task Bedrock_stream_sends_generation_chunks_with_metrics_on_the_last()
    {
        var request = new { prompt = "Tell me about imported models", max_gen_len = 200 };
        var whole = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model, request), HttpStatusCode.OK);

        var messages = await _endpoint.InvokeStreamAsync(_model, request);
        var chunks = messages.Select(BedrockTestEndpoint.ChunkJson).ToList();

        Assert.Equal(whole.GetProperty("generation_token_count").GetInt32(), chunks.Count);
        Assert.Equal(whole.GetProperty("generation").GetString(), string.Concat(chunks.Select(c => c.GetProperty("generation").GetString())));
        Assert.Equal(6, chunks[0].GetProperty("prompt_token_count").GetInt32());
        Assert.All(chunks.Take(chunks.Count - 1), c =>
        {
            Assert.Equal(JsonValueKind.Null, c.GetProperty("stop_reason").ValueKind);
            Assert.False(c.TryGetProperty("amazon-bedrock-invocationMetrics", out _));
        });
        var last = chunks[^1];
        Assert.Equal("stop", last.GetProperty("stop_reason").GetString());
        var metrics = last.GetProperty("amazon-bedrock-invocationMetrics");
        Assert.Equal(6, metrics.GetProperty("inputTokenCount").GetInt32());
        Assert.Equal(chunks.Count, metrics.GetProperty("outputTokenCount").GetInt32());
        Assert.True(metrics.TryGetProperty("invocationLatency", out _));
        Assert.True(metrics.TryGetProperty("firstByteLatency", out _));
    }

    [Fact]
    public async Task Openai_streams_use_choice_deltas_and_text()
    {
        var chat = (await _endpoint.InvokeStreamAsync(_model, new { messages = new[] { new { role = "user", content = "What is two plus two?" } }, max_tokens = 50 }))
            .Select(BedrockTestEndpoint.ChunkJson).ToList();
        Assert.Equal("assistant", chat[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("Four. Anything else?", string.Concat(chat.Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString())));
        Assert.Equal("chat.completion.chunk", chat[0].GetProperty("object").GetString());
        Assert.Equal("stop", chat[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.True(chat[^1].TryGetProperty("amazon-bedrock-invocationMetrics", out _));

        var completion = (await _endpoint.InvokeStreamAsync(_model, new { prompt = "Say something", max_tokens = 3 })).Select(BedrockTestEndpoint.ChunkJson).ToList();
        Assert.Equal(3, completion.Count);
        Assert.Equal("length", completion[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(3, completion[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.All(completion, c => Assert.True(c.GetProperty("choices")[0].TryGetProperty("text", out _)));
    }

    [Fact]
    public async Task Stream_chunk_events_carry_padding_and_json_content_type()
    {
        var messages = await _endpoint.InvokeStreamAsync(_model, new { prompt = "Hello there", max_gen_len = 5 });
        Assert.All(messages, m =>
        {
            Assert.Equal("application/json", m.GetString(":content-type"));
            using var outer = JsonDocument.Parse(m.Payload);
            Assert.True(outer.RootElement.TryGetProperty("p", out _));
        });
    }

    [Fact]
    public async Task Stream_errors_before_the_first_frame_are_plain_json_errors()
    {
        var response = await _endpoint.InvokeAsync("arn:aws:bedrock:us-east-1:123456789012:imported-model/zzzzzzzzzzzz", new { prompt = "hi" }, stream: true);
        await BedrockTestEndpoint.ErrorAsync(response, 404, "ResourceNotFoundException");
    }
}

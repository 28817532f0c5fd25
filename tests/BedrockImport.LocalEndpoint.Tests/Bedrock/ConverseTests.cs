using System.Net;
using System.Text.Json;
using BedrockImport.Engine.EventStream;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.LocalEndpoint.Bedrock;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

public sealed class ConverseModelEndpoint : ImportedModelEndpoint
{
    internal const string SystemAnswer = "Brief answer from the system-prompted model.";
    internal const string StopAnswer = "First part.\nQuestion: the model keeps talking";

    protected override SyntheticModelOptions Model() => new()
    {
        ExtraFiles =
        {
            // The system entry only matches what the Llama chat template renders for a system block, so it proves the template ran.
            ["responses.jsonl"] =
                "{\"contains\": \"capital of France\", \"response\": \"The capital of France is Paris.\"}\n" +
                "{\"contains\": \"<|start_header_id|>system<|end_header_id|>\\n\\nBe brief.<|eot_id|>\", \"response\": \"" + SystemAnswer + "\"}\n" +
                "{\"contains\": \"stop-test\", \"response\": \"First part.\\nQuestion: the model keeps talking\"}\n",
        },
    };
}

public class ConverseTests : IClassFixture<ConverseModelEndpoint>
{
    private readonly BedrockTestEndpoint _endpoint;
    private readonly string _model;

    public ConverseTests(ConverseModelEndpoint shared)
    {
        _endpoint = shared.Endpoint;
        _model = shared.ModelArn;
        _endpoint.SetKnobs(null);
    }

    private static object Body(string text, object inferenceConfig = null, string system = null)
    {
        var body = new Dictionary<string, object>
        {
            ["messages"] = new[] { new { role = "user", content = new[] { new { text } } } },
        };
        if (inferenceConfig is not null) body["inferenceConfig"] = inferenceConfig;
        if (system is not null) body["system"] = new[] { new { text = system } };
        return body;
    }

    private Task<HttpResponseMessage> ConverseAsync(string modelId, object body, bool stream = false)
        => _endpoint.SendAsync(HttpMethod.Post, "model/" + Uri.EscapeDataString(modelId) + (stream ? "/converse-stream" : "/converse"), body);

    private async Task<List<EventStreamMessage>> StreamAsync(string modelId, object body)
        => await BedrockTestEndpoint.ReadEventStreamAsync(await ConverseAsync(modelId, body, stream: true));

    private static JsonElement Payload(EventStreamMessage message) => JsonDocument.Parse(message.Payload).RootElement.Clone();

    private static string Text(JsonElement body) => string.Concat(body.GetProperty("output").GetProperty("message").GetProperty("content").EnumerateArray().Select(c => c.GetProperty("text").GetString()));

    [Fact]
    public async Task Converse_answers_from_the_book_in_converse_shapes_with_usage_and_latency()
    {
        var body = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(_model, Body("What is the capital of France?")), HttpStatusCode.OK);

        Assert.Equal("assistant", body.GetProperty("output").GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("The capital of France is Paris.", Text(body));
        Assert.Equal("end_turn", body.GetProperty("stopReason").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(TextGenerator.Tokenize("The capital of France is Paris.").Count, usage.GetProperty("outputTokens").GetInt32());
        // The input is the rendered template (headers and all), far more than the 7 tokens of the bare question.
        Assert.True(usage.GetProperty("inputTokens").GetInt32() > 15, usage.ToString());
        Assert.Equal(usage.GetProperty("inputTokens").GetInt32() + usage.GetProperty("outputTokens").GetInt32(), usage.GetProperty("totalTokens").GetInt32());
        Assert.True(body.GetProperty("metrics").GetProperty("latencyMs").GetInt64() >= 0);
    }

    [Fact]
    public async Task The_system_block_is_rendered_by_the_models_chat_template()
    {
        var body = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(_model, Body("Say anything.", system: "Be brief.")), HttpStatusCode.OK);
        Assert.Equal(ConverseModelEndpoint.SystemAnswer, Text(body));

        var without = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(_model, Body("Say anything.")), HttpStatusCode.OK);
        Assert.NotEqual(ConverseModelEndpoint.SystemAnswer, Text(without));
    }

    [Fact]
    public async Task Stop_sequences_cut_the_text_and_ignoreStop_reproduces_the_bug()
    {
        var request = Body("Answer the stop-test question.", new { stopSequences = new[] { "\nQuestion:" } });
        var cut = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(_model, request), HttpStatusCode.OK);
        Assert.Equal("First part.", Text(cut));
        Assert.Equal("stop_sequence", cut.GetProperty("stopReason").GetString());

        _endpoint.SetKnobs(k => k.Bedrock.IgnoreStop = true);
        var talked = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(_model, request), HttpStatusCode.OK);
        Assert.StartsWith(ConverseModelEndpoint.StopAnswer, Text(talked));
        Assert.True(talked.GetProperty("usage").GetProperty("outputTokens").GetInt32() > 100);
        Assert.Equal("end_turn", talked.GetProperty("stopReason").GetString());
    }

    [Fact]
    public async Task MaxTokens_cuts_the_answer_with_stop_reason_max_tokens()
    {
        var body = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(_model, Body("What is the capital of France?", new { maxTokens = 2 })), HttpStatusCode.OK);
        Assert.Equal("The capita", Text(body)); // The| capita (pieces of at most 6 letters)
        Assert.Equal("max_tokens", body.GetProperty("stopReason").GetString());
        Assert.Equal(2, body.GetProperty("usage").GetProperty("outputTokens").GetInt32());
    }

    [Fact]
    public async Task ConverseStream_sends_message_start_deltas_stop_and_metadata()
    {
        var events = await StreamAsync(_model, Body("What is the capital of France?"));
        var types = events.Select(e => e.GetString(":event-type")).ToList();
        Assert.All(events, e => Assert.Equal("event", e.GetString(":message-type")));
        Assert.Equal("messageStart", types[0]);
        Assert.Equal(new[] { "contentBlockStop", "messageStop", "metadata" }, types.TakeLast(3));
        var deltas = events.Where(e => e.GetString(":event-type") == "contentBlockDelta").Select(Payload).ToList();
        Assert.Equal(types.Count - 4, deltas.Count);
        Assert.Equal("The capital of France is Paris.", string.Concat(deltas.Select(d => d.GetProperty("delta").GetProperty("text").GetString())));
        Assert.Equal("assistant", Payload(events[0]).GetProperty("role").GetString());
        Assert.Equal("end_turn", Payload(events[^2]).GetProperty("stopReason").GetString());
        var metadata = Payload(events[^1]);
        Assert.Equal(deltas.Count, metadata.GetProperty("usage").GetProperty("outputTokens").GetInt32());
        Assert.True(metadata.GetProperty("metrics").TryGetProperty("latencyMs", out _));
    }

    [Theory]
    [InlineData("throttlingException")]
    [InlineData("modelStreamErrorException")]
    public async Task The_fault_knob_sends_an_exception_event_after_N_deltas(string type)
    {
        _endpoint.SetKnobs(k =>
        {
            k.Bedrock.ConverseStreamFaultAfterDeltas = 2;
            k.Bedrock.ConverseStreamFaultType = type;
        });
        var events = await StreamAsync(_model, Body("What is the capital of France?"));

        Assert.Equal(new[] { "messageStart", "contentBlockDelta", "contentBlockDelta" }, events.SkipLast(1).Select(e => e.GetString(":event-type")));
        Assert.Equal("exception", events[^1].GetString(":message-type"));
        Assert.Equal(type, events[^1].GetString(":exception-type"));
        Assert.False(string.IsNullOrEmpty(Payload(events[^1]).GetProperty("message").GetString()));
    }

    [Theory]
    [InlineData("Qwen3ForCausalLM", "qwen3")]
    [InlineData("Qwen2ForCausalLM", "qwen2")]
    public async Task Architectures_without_converse_support_are_refused(string architecture, string modelType)
    {
        var arn = await _endpoint.ImportModelAsync(new SyntheticModelOptions { Architecture = architecture, ModelType = modelType });
        var message = await BedrockTestEndpoint.ErrorAsync(await ConverseAsync(arn, Body("Hello")), 400, "ValidationException");
        Assert.Equal(FoundationModels.UnsupportedActionMessage, message);
        await BedrockTestEndpoint.ErrorAsync(await ConverseAsync(arn, Body("Hello"), stream: true), 400, "ValidationException");

        // InvokeModel still serves it.
        await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(arn, new { prompt = "Hello" }), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_base_model_without_a_chat_template_is_refused()
    {
        var arn = await _endpoint.ImportModelAsync(new SyntheticModelOptions { ChatTemplate = SyntheticChatTemplate.None });
        var message = await BedrockTestEndpoint.ErrorAsync(await ConverseAsync(arn, Body("Hello")), 400, "ValidationException");
        Assert.Equal(FoundationModels.UnsupportedActionMessage, message);
    }

    [Fact]
    public async Task A_template_that_raises_is_a_validation_exception_with_its_message()
    {
        var arn = await _endpoint.ImportModelAsync(new SyntheticModelOptions
        {
            ExtraFiles = { ["chat_template.jinja"] = "{% if messages | length > 1 %}{{ raise_exception('Only one message, please.') }}{% endif %}{{ messages[0]['content'] }}" },
        });
        await BedrockTestEndpoint.JsonAsync(await ConverseAsync(arn, Body("Hello")), HttpStatusCode.OK);
        var three = new
        {
            messages = new[]
            {
                new { role = "user", content = new[] { new { text = "a" } } },
                new { role = "assistant", content = new[] { new { text = "b" } } },
                new { role = "user", content = new[] { new { text = "c" } } },
            },
        };
        var message = await BedrockTestEndpoint.ErrorAsync(await ConverseAsync(arn, three), 400, "ValidationException");
        Assert.Contains("Only one message, please.", message);
    }

    [Theory]
    [InlineData(FoundationModels.ClaudeSonnet, "The capital of France is Paris.")]
    [InlineData(FoundationModels.NovaLite, "Paris is the capital of France.")]
    [InlineData(FoundationModels.ClaudeSonnetProfile, "The capital of France is Paris.")]
    [InlineData("arn:aws:bedrock:us-east-1:123456789012:inference-profile/" + FoundationModels.ClaudeSonnetProfile, "The capital of France is Paris.")]
    public async Task Foundation_models_and_the_profile_answer_converse_from_their_books(string modelId, string answer)
    {
        var body = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(modelId, Body("What is the capital of France?")), HttpStatusCode.OK);
        Assert.Equal(answer, Text(body));
        Assert.Equal(TextGenerator.Tokenize(answer).Count, body.GetProperty("usage").GetProperty("outputTokens").GetInt32());

        var events = await StreamAsync(modelId, Body("What is the capital of France?"));
        Assert.Equal(answer, string.Concat(events.Where(e => e.GetString(":event-type") == "contentBlockDelta")
            .Select(e => Payload(e).GetProperty("delta").GetProperty("text").GetString())));
    }

    [Fact]
    public async Task InvokeModel_on_a_foundation_model_is_refused()
    {
        var message = await BedrockTestEndpoint.ErrorAsync(await _endpoint.InvokeAsync(FoundationModels.ClaudeSonnet, new { prompt = "Hi" }), 400, "ValidationException");
        Assert.Equal(FoundationModels.UnsupportedActionMessage, message);
        await BedrockTestEndpoint.ErrorAsync(await _endpoint.InvokeAsync(FoundationModels.NovaLite, new { prompt = "Hi" }, stream: true), 400, "ValidationException");
    }

    [Fact]
    public async Task Bad_conversations_get_the_services_validation_text()
    {
        var assistantFirst = new { messages = new[] { new { role = "assistant", content = new[] { new { text = "Hi" } } } } };
        Assert.StartsWith("A conversation must start with a user message.",
            await BedrockTestEndpoint.ErrorAsync(await ConverseAsync(_model, assistantFirst), 400, "ValidationException"));
        var twoUsers = new { messages = new[] { new { role = "user", content = new[] { new { text = "a" } } }, new { role = "user", content = new[] { new { text = "b" } } } } };
        Assert.StartsWith("A conversation must alternate between user and assistant roles.",
            await BedrockTestEndpoint.ErrorAsync(await ConverseAsync(_model, twoUsers), 400, "ValidationException"));
        await BedrockTestEndpoint.ErrorAsync(await ConverseAsync("anthropic.claude-unknown-v9:0", Body("Hi")), 400, "ValidationException");
    }

    [Fact]
    public async Task Stats_count_converse_and_converse_stream_apart()
    {
        _endpoint.SetKnobs(k => k.ThrottleRate = new() { ["bedrock:ConverseStream"] = 1.0 });
        await BedrockTestEndpoint.JsonAsync(await ConverseAsync(_model, Body("Hi")), HttpStatusCode.OK);
        await BedrockTestEndpoint.ErrorAsync(await ConverseAsync(_model, Body("Hi"), stream: true), 429, "ThrottlingException");
        var stats = _endpoint.Endpoint.Server.Context.Stats.Snapshot();
        Assert.True(stats.ContainsKey("bedrock:Converse"));
        Assert.True(stats["bedrock:ConverseStream"].Throttled >= 1);
    }
}

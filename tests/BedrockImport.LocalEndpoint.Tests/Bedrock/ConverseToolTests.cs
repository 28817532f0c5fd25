using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.LocalEndpoint.Bedrock;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

public sealed class ConverseToolEndpoint : ImportedModelEndpoint
{
    internal const string ToolsSeenAnswer = "The template listed the weather tool.";

    private static string Llama31Template([CallerFilePath] string path = "")
        => File.ReadAllText(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", "BedrockImport.Engine.Tests", "Invocation", "ToolTemplates", "llama31.jinja"));

    protected override SyntheticModelOptions Model() => new()
    {
        ExtraFiles =
        {
            ["chat_template.jinja"] = Llama31Template(),
            // Only the template's tool section (tojson with indent 4) writes this line, so it answers only when the tools reached it.
            ["responses.jsonl"] = "{\"contains\": \"        \\\"name\\\": \\\"get_weather\\\",\", \"response\": \"" + ToolsSeenAnswer + "\"}\n",
        },
    };
}

public class ConverseToolTests : IClassFixture<ConverseToolEndpoint>
{
    private readonly BedrockTestEndpoint _endpoint;
    private readonly string _model;

    public ConverseToolTests(ConverseToolEndpoint shared)
    {
        _endpoint = shared.Endpoint;
        _model = shared.ModelArn;
        _endpoint.SetKnobs(null);
    }

    private static object ToolConfig(object toolChoice = null)
    {
        var spec = new
        {
            toolSpec = new
            {
                name = "get_weather",
                description = "The current weather of a city",
                inputSchema = new
                {
                    json = new
                    {
                        type = "object",
                        properties = new { city = new { type = "string" }, unit = new { type = "string", @enum = new[] { "celsius", "fahrenheit" } }, days = new { type = "integer", minimum = 2 } },
                        required = new[] { "city", "unit", "days" },
                    },
                },
            },
        };
        var config = new Dictionary<string, object> { ["tools"] = new[] { spec } };
        if (toolChoice != null) config["toolChoice"] = toolChoice;
        return config;
    }

    private static object Body(string text, object toolConfig) => new Dictionary<string, object>
    {
        ["messages"] = new[] { new { role = "user", content = new[] { new { text } } } },
        ["toolConfig"] = toolConfig,
    };

    private Task<HttpResponseMessage> ConverseAsync(string modelId, object body, bool stream = false)
        => _endpoint.SendAsync(HttpMethod.Post, "model/" + Uri.EscapeDataString(modelId) + (stream ? "/converse-stream" : "/converse"), body);

    private static JsonElement Content(JsonElement body) => body.GetProperty("output").GetProperty("message").GetProperty("content");

    [Fact]
    public async Task A_foundation_model_asked_for_any_tool_answers_with_a_deterministic_toolUse_block()
    {
        var body = Body("What is the weather in Paris?", ToolConfig(new { any = new { } }));
        var first = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(FoundationModels.ClaudeSonnet, body), HttpStatusCode.OK);
        var again = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(FoundationModels.ClaudeSonnet, body), HttpStatusCode.OK);

        Assert.Equal("tool_use", first.GetProperty("stopReason").GetString());
        var use = Assert.Single(Content(first).EnumerateArray()).GetProperty("toolUse");
        Assert.Equal("get_weather", use.GetProperty("name").GetString());
        Assert.Matches("^tooluse_[0-9a-f]{24}$", use.GetProperty("toolUseId").GetString());
        Assert.Equal(use.GetProperty("toolUseId").GetString(), Content(again)[0].GetProperty("toolUse").GetProperty("toolUseId").GetString());
        // Required properties: a string from the question's last word, an enum's first value, an integer's minimum.
        Assert.Equal("{\"city\":\"Paris\",\"unit\":\"celsius\",\"days\":2}", use.GetProperty("input").GetRawText());
    }

    [Fact]
    public async Task With_toolChoice_auto_a_tool_is_called_only_when_the_message_names_it()
    {
        var named = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(FoundationModels.NovaLite, Body("Use get weather for Tokyo", ToolConfig())), HttpStatusCode.OK);
        Assert.Equal("tool_use", named.GetProperty("stopReason").GetString());
        Assert.Equal("Tokyo", Content(named)[0].GetProperty("toolUse").GetProperty("input").GetProperty("city").GetString());

        var plain = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(FoundationModels.NovaLite, Body("What is the capital of France?", ToolConfig(new { auto = new { } }))), HttpStatusCode.OK);
        Assert.Equal("end_turn", plain.GetProperty("stopReason").GetString());
        Assert.Equal("Paris is the capital of France.", Content(plain)[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task ConverseStream_sends_the_tool_call_as_a_start_and_input_fragments()
    {
        var events = await BedrockTestEndpoint.ReadEventStreamAsync(
            await ConverseAsync(FoundationModels.ClaudeSonnet, Body("Weather in Paris?", ToolConfig(new { tool = new { name = "get_weather" } })), stream: true));
        var types = events.Select(e => e.GetString(":event-type")).ToList();
        Assert.Equal(new[] { "messageStart", "contentBlockStart" }, types.Take(2));
        Assert.Equal(new[] { "contentBlockStop", "messageStop", "metadata" }, types.TakeLast(3));
        var start = JsonDocument.Parse(events[1].Payload).RootElement.GetProperty("start").GetProperty("toolUse");
        Assert.Equal("get_weather", start.GetProperty("name").GetString());
        var fragments = events.Where(e => e.GetString(":event-type") == "contentBlockDelta")
            .Select(e => JsonDocument.Parse(e.Payload).RootElement.GetProperty("delta").GetProperty("toolUse").GetProperty("input").GetString()).ToList();
        Assert.True(fragments.Count > 1, "the input arrives in pieces");
        Assert.Equal("{\"city\":\"Paris\",\"unit\":\"celsius\",\"days\":2}", string.Concat(fragments));
        Assert.Equal("tool_use", JsonDocument.Parse(events[^2].Payload).RootElement.GetProperty("stopReason").GetString());
    }

    [Fact]
    public async Task An_imported_models_template_receives_the_tools_of_toolConfig()
    {
        var with = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(_model, Body("Anything.", ToolConfig())), HttpStatusCode.OK);
        Assert.Equal(ConverseToolEndpoint.ToolsSeenAnswer, Content(with)[0].GetProperty("text").GetString());

        var without = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(_model, new { messages = new[] { new { role = "user", content = new[] { new { text = "Anything." } } } } }), HttpStatusCode.OK);
        Assert.NotEqual(ConverseToolEndpoint.ToolsSeenAnswer, Content(without)[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_tool_result_turn_is_answered_and_tool_blocks_without_toolConfig_are_refused()
    {
        var conversation = new object[]
        {
            new { role = "user", content = new object[] { new { text = "Weather in Paris?" } } },
            new { role = "assistant", content = new object[] { new { toolUse = new { toolUseId = "tooluse_1", name = "get_weather", input = new { city = "Paris" } } } } },
            new { role = "user", content = new object[] { new { toolResult = new { toolUseId = "tooluse_1", content = new[] { new { text = "What is the capital of France? Sunny." } } } } } },
        };
        var answered = await BedrockTestEndpoint.JsonAsync(await ConverseAsync(FoundationModels.ClaudeSonnet, new { messages = conversation, toolConfig = ToolConfig() }), HttpStatusCode.OK);
        Assert.Equal("The capital of France is Paris.", Content(answered)[0].GetProperty("text").GetString());

        var message = await BedrockTestEndpoint.ErrorAsync(await ConverseAsync(FoundationModels.ClaudeSonnet, new { messages = conversation }), 400, "ValidationException");
        Assert.Equal(ConverseRequest.ToolConfigMissingMessage, message);
        var unknown = await BedrockTestEndpoint.ErrorAsync(await ConverseAsync(FoundationModels.ClaudeSonnet, Body("x", ToolConfig(new { tool = new { name = "other" } }))), 400, "ValidationException");
        Assert.Contains("other", unknown);
    }
}

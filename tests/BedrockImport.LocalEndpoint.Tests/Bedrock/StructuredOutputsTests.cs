using System.Net;
using System.Text.Json;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.ModelPackage;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

public sealed class ChoiceModelEndpoint : ImportedModelEndpoint
{
    protected override SyntheticModelOptions Model() => new()
    {
        ExtraFiles =
        {
            ["responses.jsonl"] =
                "{\"contains\": \"会社の最高責任者を何というか？\", \"response\": \"<answer>社長</answer>\"}\n" +
                "{\"contains\": \"full-width question\", \"response\": \"  ＡＢ Ｃ \"}\n" +
                "{\"contains\": \"off-list question\", \"response\": \"Something that is no choice.\"}\n",
        },
    };
}

/// <summary>structured_outputs.choice on InvokeModel / InvokeModelWithResponseStream in the OpenAI formats.</summary>
public class StructuredOutputsTests : IClassFixture<ChoiceModelEndpoint>
{
    private const string JcqaPrompt = "質問: 会社の最高責任者を何というか？\n選択肢: 部長, 社長, 運転士\n<answer>";
    private static readonly string[] JcqaChoices = { "部長", "社長", "運転士" };

    private readonly BedrockTestEndpoint _endpoint;
    private readonly string _model;

    public StructuredOutputsTests(ChoiceModelEndpoint shared)
    {
        _endpoint = shared.Endpoint;
        _model = shared.ModelArn;
        _endpoint.SetKnobs(null);
    }

    private static object Choice(params string[] choices) => new { choice = choices };

    private async Task<JsonElement> CompletionChoiceAsync(string prompt, string[] choices, string[] stop = null, int maxTokens = 20)
    {
        var body = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model,
            new { prompt, max_tokens = maxTokens, stop = stop ?? Array.Empty<string>(), structured_outputs = Choice(choices) }), HttpStatusCode.OK);
        return Assert.Single(body.GetProperty("choices").EnumerateArray());
    }

    [Fact]
    public async Task A_completion_answers_the_books_choice_without_tags_or_continuation()
    {
        var unconstrained = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model,
            new { prompt = JcqaPrompt, max_tokens = 50, stop = new[] { "\n\n" } }), HttpStatusCode.OK);
        Assert.Equal("<answer>社長</answer>", unconstrained.GetProperty("choices")[0].GetProperty("text").GetString());

        var response = await _endpoint.InvokeAsync(_model, new { prompt = JcqaPrompt, max_tokens = 50, stop = new[] { "\n\n" }, structured_outputs = Choice(JcqaChoices) });
        var body = await BedrockTestEndpoint.JsonAsync(response, HttpStatusCode.OK);
        var choice = Assert.Single(body.GetProperty("choices").EnumerateArray());
        Assert.Equal("社長", choice.GetProperty("text").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(2, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("2", response.Headers.GetValues("X-Amzn-Bedrock-Output-Token-Count").Single());

        // The book's choice wherever it stands in the list (a seeded pick would move).
        foreach (var choices in new[] { new[] { "運転士", "部長", "社長" }, new[] { "社長", "運転士", "部長" } })
            Assert.Equal("社長", (await CompletionChoiceAsync(JcqaPrompt, choices)).GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_constrained_answer_does_not_keep_talking_even_when_stops_are_ignored()
    {
        _endpoint.SetKnobs(k => k.Bedrock.IgnoreStop = true);
        var talked = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model,
            new { prompt = JcqaPrompt, max_tokens = 300, stop = new[] { "\n\n" } }), HttpStatusCode.OK);
        Assert.True(talked.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 100);

        var choice = await CompletionChoiceAsync(JcqaPrompt, JcqaChoices, stop: new[] { "\n\n" }, maxTokens: 300);
        Assert.Equal("社長", choice.GetProperty("text").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task A_chat_request_answers_the_books_choice_as_the_message_content()
    {
        var body = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model, new
        {
            messages = new[] { new { role = "system", content = "Answer with one word." }, new { role = "user", content = "会社の最高責任者を何というか？" } },
            max_tokens = 10,
            structured_outputs = Choice(JcqaChoices),
        }), HttpStatusCode.OK);
        var choice = Assert.Single(body.GetProperty("choices").EnumerateArray());
        Assert.Equal("社長", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task The_books_answer_matches_a_choice_after_NFKC_and_white_space_removal()
    {
        // Every rotation: a seeded pick would land on another choice in at least one of them.
        foreach (var choices in new[] { new[] { "AB", "ABC", "C" }, new[] { "ABC", "C", "AB" }, new[] { "C", "AB", "ABC" } })
            Assert.Equal("ABC", (await CompletionChoiceAsync("The full-width question", choices)).GetProperty("text").GetString());
    }

    [Fact]
    public async Task Without_a_matching_answer_the_seeded_pick_is_a_choice_and_the_same_twice()
    {
        var choices = new[] { "alpha", "beta", "gamma", "delta" };
        var first = (await CompletionChoiceAsync("The off-list question", choices)).GetProperty("text").GetString();
        Assert.Contains(first, choices);
        Assert.Equal(first, (await CompletionChoiceAsync("The off-list question", choices)).GetProperty("text").GetString());
    }

    [Fact]
    public async Task The_seeded_pick_depends_on_the_prompt_and_the_seed()
    {
        var choices = new[] { "alpha", "beta", "gamma", "delta" };
        var prompts = Enumerable.Range(1, 12).Select(i => "Pseudo question number " + i).ToList();
        async Task<List<string>> PicksAsync()
        {
            var picks = new List<string>();
            foreach (var prompt in prompts) picks.Add((await CompletionChoiceAsync(prompt, choices)).GetProperty("text").GetString());
            return picks;
        }

        var seed0 = await PicksAsync();
        Assert.All(seed0, p => Assert.Contains(p, choices));
        Assert.True(seed0.Distinct().Count() > 1, string.Join(",", seed0));
        Assert.Equal(seed0, await PicksAsync());

        _endpoint.SetKnobs(k => k.Seed = 7);
        Assert.NotEqual(seed0, await PicksAsync());
    }

    [Fact]
    public async Task Stop_sequences_and_max_tokens_still_cut_the_choice()
    {
        var cut = await CompletionChoiceAsync("The off-list question", new[] { "one|1", "two|2" }, stop: new[] { "|" });
        Assert.Contains(cut.GetProperty("text").GetString(), new[] { "one", "two" });
        Assert.Equal("stop", cut.GetProperty("finish_reason").GetString());

        var shortened = await CompletionChoiceAsync(JcqaPrompt, new[] { "社長です" }, maxTokens: 2);
        Assert.Equal("社長", shortened.GetProperty("text").GetString());
        Assert.Equal("length", shortened.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task A_streamed_constrained_answer_joins_to_the_choice()
    {
        var chat = (await _endpoint.InvokeStreamAsync(_model, new
        {
            messages = new[] { new { role = "user", content = "会社の最高責任者を何というか？" } },
            max_tokens = 10,
            structured_outputs = Choice(JcqaChoices),
        })).Select(BedrockTestEndpoint.ChunkJson).ToList();
        Assert.Equal("社長", string.Concat(chat.Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString())));
        Assert.Equal("stop", chat[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        var completion = (await _endpoint.InvokeStreamAsync(_model, new { prompt = JcqaPrompt, max_tokens = 10, stop = new[] { "\n" }, structured_outputs = Choice(JcqaChoices) }))
            .Select(BedrockTestEndpoint.ChunkJson).ToList();
        Assert.Equal("社長", string.Concat(completion.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.Equal("stop", completion[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(2, completion[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task The_engines_AnswerChoices_bodies_are_answered_with_a_choice_in_both_formats()
    {
        var requests = new[]
        {
            new InvocationRequest { Prompt = JcqaPrompt, StopSequences = new[] { "\n" }, AnswerChoices = JcqaChoices },
            new InvocationRequest { Messages = new[] { new ChatMessage("user", "会社の最高責任者を何というか？") }, AnswerChoices = JcqaChoices },
        };
        foreach (var request in requests)
        {
            var prepared = InvocationRequestBuilder.Build(request);
            var response = await _endpoint.InvokeAsync(_model, prepared.Body);
            var result = InvocationResponseParser.Parse(await response.Content.ReadAsByteArrayAsync());
            Assert.Equal("社長", result.Completion);
            Assert.Equal(StopReasons.Stop, result.StopReason);
        }
    }

    [Fact]
    public async Task A_null_structured_outputs_is_no_constraint()
    {
        var body = await BedrockTestEndpoint.JsonAsync(await _endpoint.InvokeAsync(_model,
            "{\"prompt\": \"" + "The off-list question" + "\", \"max_tokens\": 50, \"structured_outputs\": null}"), HttpStatusCode.OK);
        Assert.Equal("Something that is no choice.", body.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("\"choice\"", "'structured_outputs' must be an object")]
    [InlineData("[\"a\"]", "'structured_outputs' must be an object")]
    [InlineData("{}", "'structured_outputs.choice' must be a non-empty array of strings")]
    [InlineData("{\"choice\": []}", "'structured_outputs.choice' must be a non-empty array of strings")]
    [InlineData("{\"choice\": \"a\"}", "'structured_outputs.choice' must be a non-empty array of strings")]
    [InlineData("{\"choice\": [\"a\", 1]}", "'structured_outputs.choice' must be a non-empty array of strings")]
    [InlineData("{\"choice\": [\"a\", null]}", "'structured_outputs.choice' must be a non-empty array of strings")]
    [InlineData("{\"choices\": [\"a\"]}", "unknown member 'choices'")]
    [InlineData("{\"json\": {\"type\": \"object\"}}", "'json' is not supported by the local endpoint")]
    [InlineData("{\"regex\": \"a|b\"}", "'regex' is not supported by the local endpoint")]
    [InlineData("{\"grammar\": \"root ::= \\\"a\\\"\"}", "'grammar' is not supported by the local endpoint")]
    [InlineData("{\"choice\": [\"a\"], \"json\": {}}", "'json' is not supported by the local endpoint")]
    public async Task Malformed_structured_outputs_are_validation_exceptions(string structuredOutputs, string message)
    {
        foreach (var body in new[]
                 {
                     "{\"prompt\": \"p\", \"max_tokens\": 5, \"structured_outputs\": " + structuredOutputs + "}",
                     "{\"messages\": [{\"role\": \"user\", \"content\": \"p\"}], \"structured_outputs\": " + structuredOutputs + "}",
                 })
        {
            Assert.Contains(message, await BedrockTestEndpoint.ErrorAsync(await _endpoint.InvokeAsync(_model, body), 400, "ValidationException"));
            Assert.Contains(message, await BedrockTestEndpoint.ErrorAsync(await _endpoint.InvokeAsync(_model, body, stream: true), 400, "ValidationException"));
        }
    }

    [Theory]
    [InlineData("{\"prompt\": \"p\", \"max_gen_len\": 5, \"structured_outputs\": {\"choice\": [\"a\"]}}")]
    [InlineData("{\"prompt\": \"p\", \"structured_outputs\": {\"choice\": [\"a\"]}}")]
    public async Task BedrockCompletion_bodies_with_structured_outputs_are_refused(string body)
    {
        var message = await BedrockTestEndpoint.ErrorAsync(await _endpoint.InvokeAsync(_model, body), 400, "ValidationException");
        Assert.Contains("'structured_outputs' needs an OpenAI format", message);
        Assert.Contains("BedrockCompletion", message);
    }
}

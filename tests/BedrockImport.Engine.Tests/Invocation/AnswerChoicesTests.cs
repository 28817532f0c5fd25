using System.Text;
using System.Text.Json;
using BedrockImport.Engine.Invocation;

namespace BedrockImport.Engine.Tests.Invocation;

/// <summary>InvocationRequest.AnswerChoices: vLLM's structured_outputs.choice in the OpenAI bodies.</summary>
public class AnswerChoicesTests
{
    private static readonly string[] Choices = { "A", "B", "C" };

    private static string BodyText(InvocationRequest request) => Encoding.UTF8.GetString(InvocationRequestBuilder.Build(request).Body);

    [Fact]
    public void OpenAICompletion_body_carries_the_choices_as_structured_outputs()
    {
        var json = BodyText(new InvocationRequest
        {
            Format = InvocationFormat.OpenAICompletion,
            Prompt = "Q? A, B or C",
            MaxTokens = 4,
            Temperature = 0,
            StopSequences = new[] { "\n" },
            AnswerChoices = Choices,
        });

        Assert.Equal("{\"prompt\":\"Q? A, B or C\",\"max_tokens\":4,\"temperature\":0,\"stop\":[\"\\n\"],\"structured_outputs\":{\"choice\":[\"A\",\"B\",\"C\"]}}", json);
    }

    [Fact]
    public void OpenAIChat_body_carries_the_choices_as_structured_outputs()
    {
        var json = BodyText(new InvocationRequest
        {
            Format = InvocationFormat.OpenAIChat,
            SystemPrompt = "Answer with one letter.",
            Messages = new[] { new ChatMessage("user", "Q?") },
            MaxTokens = 2,
            AnswerChoices = new[] { "yes", "no" },
        });

        Assert.Equal(
            "{\"messages\":[{\"role\":\"system\",\"content\":\"Answer with one letter.\"},{\"role\":\"user\",\"content\":\"Q?\"}]," +
            "\"max_tokens\":2,\"structured_outputs\":{\"choice\":[\"yes\",\"no\"]}}", json);
    }

    [Fact]
    public void Japanese_choices_reach_the_body_unchanged()
    {
        var prepared = InvocationRequestBuilder.Build(new InvocationRequest { Prompt = "問題", AnswerChoices = new[] { "社長", "運転士" } });
        var choice = JsonDocument.Parse(prepared.Body).RootElement.GetProperty("structured_outputs").GetProperty("choice");
        Assert.Equal(new[] { "社長", "運転士" }, choice.EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public void Without_choices_no_body_has_structured_outputs()
    {
        foreach (var format in new[] { InvocationFormat.BedrockCompletion, InvocationFormat.OpenAICompletion, InvocationFormat.OpenAIChat })
            Assert.DoesNotContain("structured_outputs", BodyText(new InvocationRequest { Format = format, Prompt = "p" }));
    }

    [Fact]
    public void BedrockCompletion_with_choices_is_refused_naming_the_OpenAI_formats_and_the_import_date()
    {
        var error = Assert.Throws<InvocationValidationException>(() =>
            InvocationRequestBuilder.Build(new InvocationRequest { Format = InvocationFormat.BedrockCompletion, Prompt = "p", AnswerChoices = Choices }));
        Assert.Contains("OpenAICompletion", error.Message);
        Assert.Contains("OpenAIChat", error.Message);
        Assert.Contains("2025-11-11", error.Message);
        Assert.Equal("Format", error.ParamName);
    }

    [Fact]
    public void BedrockCompletion_rendered_through_a_chat_template_is_refused_too()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Qwen25);
        Assert.Throws<InvocationValidationException>(() => InvocationRequestBuilder.Build(new InvocationRequest
        {
            Format = InvocationFormat.BedrockCompletion,
            Messages = new[] { new ChatMessage("user", "Hi") },
            ChatTemplate = template,
            AnswerChoices = Choices,
        }));
    }

    [Fact]
    public void Without_a_format_choices_pick_OpenAICompletion_for_a_prompt_and_OpenAIChat_for_messages()
    {
        var prompt = new InvocationRequest { Prompt = "p", AnswerChoices = Choices };
        Assert.Equal(InvocationFormat.OpenAICompletion, InvocationRequestBuilder.ResolveFormat(prompt));
        var preparedPrompt = InvocationRequestBuilder.Build(prompt);
        Assert.Equal(InvocationFormat.OpenAICompletion, preparedPrompt.Format);
        Assert.Equal("{\"prompt\":\"p\",\"max_tokens\":512,\"structured_outputs\":{\"choice\":[\"A\",\"B\",\"C\"]}}", Encoding.UTF8.GetString(preparedPrompt.Body));

        // Messages go out as OpenAIChat even when the model has a chat template that a completion format would use.
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Qwen25);
        var messages = new InvocationRequest { Messages = new[] { new ChatMessage("user", "Hi") }, ChatTemplate = template, AnswerChoices = Choices };
        Assert.Equal(InvocationFormat.OpenAIChat, InvocationRequestBuilder.ResolveFormat(messages));
        var preparedMessages = InvocationRequestBuilder.Build(messages);
        Assert.Equal(InvocationFormat.OpenAIChat, preparedMessages.Format);
        Assert.False(preparedMessages.UsedChatTemplate);

        // The same request without choices keeps today's default.
        Assert.Equal(InvocationFormat.BedrockCompletion, InvocationRequestBuilder.ResolveFormat(new InvocationRequest { Messages = messages.Messages, ChatTemplate = template }));
    }

    [Fact]
    public void A_prompt_with_a_system_prompt_and_choices_is_rendered_by_the_template_as_OpenAICompletion()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Qwen25);
        var prepared = InvocationRequestBuilder.Build(new InvocationRequest { Prompt = "Hi", SystemPrompt = "Sys", ChatTemplate = template, AnswerChoices = Choices });
        Assert.Equal(InvocationFormat.OpenAICompletion, prepared.Format);
        Assert.True(prepared.UsedChatTemplate);
        var body = JsonDocument.Parse(prepared.Body).RootElement;
        Assert.Equal(prepared.Prompt, body.GetProperty("prompt").GetString());
        Assert.Equal(3, body.GetProperty("structured_outputs").GetProperty("choice").GetArrayLength());
    }

    [Fact]
    public void An_explicit_format_wins_over_the_choice_default()
    {
        var request = new InvocationRequest { Format = InvocationFormat.OpenAIChat, Prompt = "p", AnswerChoices = Choices };
        Assert.Equal(InvocationFormat.OpenAIChat, InvocationRequestBuilder.ResolveFormat(request));
        Assert.Equal(InvocationFormat.OpenAIChat, InvocationRequestBuilder.Build(request).Format);
    }

    public static TheoryData<string[], string> BadChoices => new()
    {
        { new string[0], "at least one" },
        { new[] { "A", "" }, "Answer choice 1 is empty" },
        { new[] { "A", null }, "Answer choice 1 is empty" },
        { new[] { "A", "B", "A" }, "'A' is given twice" },
        { Enumerable.Range(0, InvocationRequestBuilder.MaxAnswerChoices + 1).Select(i => "c" + i).ToArray(), "At most 64" },
    };

    [Theory]
    [MemberData(nameof(BadChoices))]
    public void Bad_choices_are_refused(string[] choices, string message)
    {
        var error = Assert.Throws<InvocationValidationException>(() =>
            InvocationRequestBuilder.Build(new InvocationRequest { Format = InvocationFormat.OpenAICompletion, Prompt = "p", AnswerChoices = choices }));
        Assert.Contains(message, error.Message);
        Assert.Equal("AnswerChoices", error.ParamName);
    }

    [Fact]
    public void The_most_choices_allowed_are_sent()
    {
        var choices = Enumerable.Range(0, InvocationRequestBuilder.MaxAnswerChoices).Select(i => "c" + i).ToArray();
        var body = JsonDocument.Parse(InvocationRequestBuilder.Build(new InvocationRequest { Prompt = "p", AnswerChoices = choices }).Body).RootElement;
        Assert.Equal(choices, body.GetProperty("structured_outputs").GetProperty("choice").EnumerateArray().Select(c => c.GetString()));
    }
}

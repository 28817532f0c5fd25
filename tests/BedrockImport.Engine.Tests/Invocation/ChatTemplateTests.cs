#nullable enable annotations

using BedrockImport.Engine.Invocation;

namespace BedrockImport.Engine.Tests.Invocation;

public class ChatTemplateTests
{
    private static readonly ChatMessage[] Conversation =
    {
        new("system", "You are helpful."),
        new("user", "  Hi \n"),
        new("assistant", "Hello!"),
        new("user", "How are you?"),
    };

    [Fact]
    public void Llama3_renders_headers_trims_content_and_puts_bos_first()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Llama3, "<|begin_of_text|>", "<|eot_id|>");

        var prompt = template.Render(Conversation);

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n", prompt);
    }

    [Fact]
    public void Llama3_trims_ideographic_and_no_break_spaces_as_transformers_does()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Llama3, "<|begin_of_text|>", "<|eot_id|>");

        var prompt = template.Render(new[] { new ChatMessage("user", "\u3000日本の首都は？\u00a0\n") });

        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n日本の首都は？<|eot_id|>" +
                     "<|start_header_id|>assistant<|end_header_id|>\n\n", prompt);
    }

    [Fact]
    public void Llama3_without_generation_prompt_ends_at_the_last_message()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Llama3, "<|begin_of_text|>", "<|eot_id|>");
        var prompt = template.Render(new[] { new ChatMessage("user", "Hi") }, addGenerationPrompt: false);
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", prompt);
    }

    [Fact]
    public void Llama31_moves_the_system_message_after_the_date_header()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Llama31, "<|begin_of_text|>", "<|eot_id|>");

        var prompt = template.Render(Conversation);

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" +
            "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are helpful.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n", prompt);
    }

    [Fact]
    public void Llama31_with_tools_puts_them_as_indented_json_into_the_first_user_message()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Llama31, "<|begin_of_text|>", "<|eot_id|>");
        var tool = new Dictionary<string, object?>
        {
            ["name"] = "get_weather",
            ["parameters"] = new Dictionary<string, object?> { ["type"] = "object", ["required"] = new[] { "city" } },
        };
        var variables = new Dictionary<string, object?> { ["tools"] = new[] { tool }, ["date_string"] = "01 Jan 2026" };

        var prompt = template.Render(new[] { new ChatMessage("user", "Weather in Tokyo?") }, true, variables);

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" +
            "Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 01 Jan 2026\n\n<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\n" +
            "Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n" +
            "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n" +
            "{\n    \"name\": \"get_weather\",\n    \"parameters\": {\n        \"type\": \"object\",\n        \"required\": [\n            \"city\"\n        ]\n    }\n}\n\n" +
            "Weather in Tokyo?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", prompt);
    }

    [Fact]
    public void Mistral_v01_wraps_user_turns_in_inst_and_closes_assistant_turns_with_eos()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.MistralV01, "<s>", "</s>");
        var prompt = template.Render(Conversation.Skip(1).ToArray());
        Assert.Equal("<s>[INST]   Hi \n [/INST]Hello!</s>[INST] How are you? [/INST]", prompt);
    }

    [Fact]
    public void Mistral_v01_raises_the_templates_message_on_a_system_message()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.MistralV01, "<s>", "</s>");
        var error = Assert.Throws<ChatTemplateRaisedException>(() => template.Render(Conversation));
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", error.TemplateMessage);
    }

    [Fact]
    public void Mistral_v03_folds_the_system_message_into_the_last_user_turn()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.MistralV03, "<s>", "</s>");
        var prompt = template.Render(Conversation);
        Assert.Equal("<s>[INST]   Hi \n[/INST] Hello!</s>[INST] You are helpful.\n\nHow are you?[/INST]", prompt);
    }

    [Theory]
    [InlineData("user", "user")]
    [InlineData("assistant", "user")]
    [InlineData("user", "assistant", "assistant")]
    public void Mistral_v03_raises_when_roles_do_not_alternate(params string[] roles)
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.MistralV03, "<s>", "</s>");
        var messages = roles.Select((r, i) => new ChatMessage(r, "m" + i)).ToArray();

        var error = Assert.Throws<ChatTemplateRaisedException>(() => template.Render(messages));

        Assert.StartsWith("After the optional system message, conversation roles must alternate", error.TemplateMessage);
        Assert.Equal(error.TemplateMessage, error.Message);
    }

    [Fact]
    public void Mistral_v03_rejects_a_tool_role_with_its_own_message()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.MistralV03, "<s>", "</s>");
        var error = Assert.Throws<ChatTemplateRaisedException>(() =>
            template.Render(new[] { new ChatMessage("user", "a"), new ChatMessage("tool", "b") }));
        Assert.StartsWith("Only user and assistant roles are supported", error.TemplateMessage);
    }

    [Fact]
    public void Qwen25_uses_the_given_system_message()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Qwen25, null, "<|im_end|>");
        var prompt = template.Render(Conversation);
        Assert.Equal(
            "<|im_start|>system\nYou are helpful.<|im_end|>\n" +
            "<|im_start|>user\n  Hi \n<|im_end|>\n" +
            "<|im_start|>assistant\nHello!<|im_end|>\n" +
            "<|im_start|>user\nHow are you?<|im_end|>\n" +
            "<|im_start|>assistant\n", prompt);
    }

    [Fact]
    public void Qwen25_supplies_its_default_system_message()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Qwen25, null, "<|im_end|>");
        var prompt = template.Render(new[] { new ChatMessage("user", "こんにちは") });
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
            "<|im_start|>user\nこんにちは<|im_end|>\n<|im_start|>assistant\n", prompt);
    }

    [Fact]
    public void Qwen25_lists_tools_as_compact_json_without_escaping_non_ascii()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Qwen25, null, "<|im_end|>");
        var tool = new Dictionary<string, object?> { ["name"] = "天気", ["strict"] = true, ["limit"] = 2.5 };
        var prompt = template.Render(new[] { new ChatMessage("user", "q") }, true, new Dictionary<string, object?> { ["tools"] = new[] { tool } });
        Assert.Contains("<tools>\n{\"name\": \"天気\", \"strict\": true, \"limit\": 2.5}\n</tools>", prompt);
        Assert.StartsWith("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools", prompt);
    }

    [Fact]
    public void Qwen3_renders_without_a_default_system_message_and_drops_old_reasoning()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Qwen3, null, "<|im_end|>");
        var messages = new[]
        {
            new ChatMessage("system", "You are helpful."),
            new ChatMessage("user", "Hi"),
            new ChatMessage("assistant", "<think>\nThe user greets.\n</think>\n\nHello!"),
            new ChatMessage("user", "How are you?"),
        };

        var prompt = template.Render(messages);

        Assert.Equal(
            "<|im_start|>system\nYou are helpful.<|im_end|>\n" +
            "<|im_start|>user\nHi<|im_end|>\n" +
            "<|im_start|>assistant\nHello!<|im_end|>\n" +
            "<|im_start|>user\nHow are you?<|im_end|>\n" +
            "<|im_start|>assistant\n", prompt);
    }

    [Fact]
    public void Qwen3_keeps_reasoning_after_the_last_query_and_honours_enable_thinking_false()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Qwen3, null, "<|im_end|>");
        var messages = new[]
        {
            new ChatMessage("user", "Hi"),
            new ChatMessage("assistant", "<think>\nponder\n</think>\n\nHello!"),
        };

        var continued = template.Render(messages, addGenerationPrompt: false);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\nponder\n</think>\n\nHello!<|im_end|>\n", continued);

        var noThinking = template.Render(new[] { new ChatMessage("user", "Hi") }, true, new Dictionary<string, object?> { ["enable_thinking"] = false });
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", noThinking);

        var thinking = template.Render(new[] { new ChatMessage("user", "Hi") }, true, new Dictionary<string, object?> { ["enable_thinking"] = true });
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", thinking);
    }
}

using System.Text;
using System.Text.Json;
using BedrockImport.Engine.Invocation;

namespace BedrockImport.Engine.Tests.Invocation;

public class InvocationRequestBuilderTests
{
    private static JsonElement Body(PreparedInvocation prepared) => JsonDocument.Parse(prepared.Body).RootElement;

    private static string[] Members(JsonElement body) => body.EnumerateObject().Select(p => p.Name).ToArray();

    [Fact]
    public void BedrockCompletion_uses_max_gen_len_and_sends_every_given_parameter()
    {
        var prepared = InvocationRequestBuilder.Build(new InvocationRequest
        {
            Format = InvocationFormat.BedrockCompletion,
            Prompt = "質問: 次のうち",
            MaxTokens = 64,
            Temperature = 0.5,
            TopP = 0.9,
            TopK = 50,
            StopSequences = new[] { "</answer>", "\n\n" },
        });

        var body = Body(prepared);
        Assert.Equal(new[] { "prompt", "max_gen_len", "temperature", "top_p", "top_k", "stop" }, Members(body));
        Assert.Equal("質問: 次のうち", body.GetProperty("prompt").GetString());
        Assert.Equal(64, body.GetProperty("max_gen_len").GetInt32());
        Assert.Equal(0.5, body.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, body.GetProperty("top_p").GetDouble());
        Assert.Equal(50, body.GetProperty("top_k").GetInt32());
        Assert.Equal(new[] { "</answer>", "\n\n" }, body.GetProperty("stop").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(InvocationFormat.BedrockCompletion, prepared.Format);
        Assert.Equal("質問: 次のうち", prepared.Prompt);
        Assert.Equal(new[] { "</answer>", "\n\n" }, prepared.StopSequences);
    }

    [Fact]
    public void OpenAICompletion_uses_max_tokens()
    {
        var body = Body(InvocationRequestBuilder.Build(new InvocationRequest { Format = InvocationFormat.OpenAICompletion, Prompt = "p", MaxTokens = 8, TopK = 3 }));
        Assert.Equal(new[] { "prompt", "max_tokens", "top_k" }, Members(body));
        Assert.Equal(8, body.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public void OpenAIChat_sends_messages_with_the_system_prompt_first()
    {
        var prepared = InvocationRequestBuilder.Build(new InvocationRequest
        {
            Format = InvocationFormat.OpenAIChat,
            SystemPrompt = "Be brief.",
            Messages = new[] { new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello"), new ChatMessage("user", "Why?") },
            Temperature = 0,
            StopSequences = new[] { "END" },
        });

        var body = Body(prepared);
        Assert.Equal(new[] { "messages", "max_tokens", "temperature", "stop" }, Members(body));
        var messages = body.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString() + ":" + m.GetProperty("content").GetString());
        Assert.Equal(new[] { "system:Be brief.", "user:Hi", "assistant:Hello", "user:Why?" }, messages);
        Assert.Equal("Why?", prepared.Prompt);
        Assert.False(prepared.UsedChatTemplate);
    }

    [Fact]
    public void A_plain_prompt_sent_as_OpenAIChat_is_one_user_message()
    {
        var prepared = InvocationRequestBuilder.Build(new InvocationRequest { Format = InvocationFormat.OpenAIChat, Prompt = "Hi" });
        var message = Assert.Single(Body(prepared).GetProperty("messages").EnumerateArray());
        Assert.Equal("user", message.GetProperty("role").GetString());
        Assert.Equal("Hi", message.GetProperty("content").GetString());
        Assert.Equal("Hi", prepared.Prompt);
    }

    [Fact]
    public void Unset_values_are_left_out_except_max_tokens_which_defaults()
    {
        var body = Body(InvocationRequestBuilder.Build(new InvocationRequest { Prompt = "p" }));
        Assert.Equal(new[] { "prompt", "max_gen_len" }, Members(body));
        Assert.Equal(InvocationRequestBuilder.DefaultMaxTokens, body.GetProperty("max_gen_len").GetInt32());
        Assert.False(body.TryGetProperty("stream", out _));
    }

    [Fact]
    public void Messages_meeting_a_completion_format_are_rendered_with_the_chat_template_without_the_leading_bos()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Llama3, "<|begin_of_text|>", "<|eot_id|>");
        var prepared = InvocationRequestBuilder.Build(new InvocationRequest
        {
            Messages = new[] { new ChatMessage("user", "Hi") },
            ChatTemplate = template,
        });

        const string expected = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
        Assert.Equal(InvocationFormat.BedrockCompletion, prepared.Format);
        Assert.True(prepared.UsedChatTemplate);
        Assert.Equal(expected, prepared.Prompt);
        Assert.Equal(expected, Body(prepared).GetProperty("prompt").GetString());

        var keepBos = InvocationRequestBuilder.Build(new InvocationRequest { Messages = new[] { new ChatMessage("user", "Hi") }, ChatTemplate = template, KeepBosToken = true });
        Assert.Equal("<|begin_of_text|>" + expected, keepBos.Prompt);
    }

    [Fact]
    public void A_prompt_with_a_system_prompt_becomes_a_conversation()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.Qwen25);
        var prepared = InvocationRequestBuilder.Build(new InvocationRequest { Format = InvocationFormat.OpenAICompletion, Prompt = "Hi", SystemPrompt = "Sys", ChatTemplate = template });
        Assert.Equal("<|im_start|>system\nSys<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", prepared.Prompt);
        Assert.Equal(InvocationFormat.OpenAICompletion, prepared.Format);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(InvocationFormat.BedrockCompletion)]
    [InlineData(InvocationFormat.OpenAICompletion)]
    public void Messages_without_a_chat_template_go_out_as_OpenAIChat(InvocationFormat? requested)
    {
        var request = new InvocationRequest { Format = requested, Messages = new[] { new ChatMessage("user", "Hi") } };
        Assert.Equal(InvocationFormat.OpenAIChat, InvocationRequestBuilder.ResolveFormat(request));
        Assert.True(Body(InvocationRequestBuilder.Build(request)).TryGetProperty("messages", out _));
    }

    [Fact]
    public void The_default_format_for_a_prompt_is_BedrockCompletion()
    {
        Assert.Equal(InvocationFormat.BedrockCompletion, InvocationRequestBuilder.ResolveFormat(new InvocationRequest { Prompt = "p" }));
    }

    [Fact]
    public void A_template_refusing_the_conversation_surfaces_its_message()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.MistralV01, "<s>", "</s>");
        var request = new InvocationRequest { Messages = new[] { new ChatMessage("user", "a"), new ChatMessage("user", "b") }, ChatTemplate = template };
        var error = Assert.Throws<ChatTemplateRaisedException>(() => InvocationRequestBuilder.Build(request));
        Assert.Contains("alternate", error.TemplateMessage);
    }

    public static TheoryData<InvocationRequest, string> InvalidRequests => new()
    {
        { new InvocationRequest { Prompt = "" }, "Prompt" },
        { new InvocationRequest { Prompt = "  " }, "Prompt" },
        { new InvocationRequest(), "Prompt" },
        { new InvocationRequest { Messages = Array.Empty<ChatMessage>() }, "Messages" },
        { new InvocationRequest { Messages = new[] { new ChatMessage("tool", "x") } }, "Messages" },
        { new InvocationRequest { Messages = new[] { new ChatMessage("User", "x") } }, "Messages" },
        { new InvocationRequest { Messages = new[] { new ChatMessage("user", null!) } }, "Messages" },
        { new InvocationRequest { Prompt = "p", Messages = new[] { new ChatMessage("user", "x") } }, "Messages" },
        { new InvocationRequest { SystemPrompt = "s", Messages = new[] { new ChatMessage("system", "x") } }, "SystemPrompt" },
        { new InvocationRequest { Prompt = "p", MaxTokens = 0 }, "MaxTokens" },
        { new InvocationRequest { Prompt = "p", MaxTokens = -5 }, "MaxTokens" },
        { new InvocationRequest { Prompt = "p", Temperature = -0.1 }, "Temperature" },
        { new InvocationRequest { Prompt = "p", Temperature = 2.01 }, "Temperature" },
        { new InvocationRequest { Prompt = "p", Temperature = double.NaN }, "Temperature" },
        { new InvocationRequest { Prompt = "p", TopP = 0 }, "TopP" },
        { new InvocationRequest { Prompt = "p", TopP = 1.5 }, "TopP" },
        { new InvocationRequest { Prompt = "p", TopK = 0 }, "TopK" },
        { new InvocationRequest { Prompt = "p", StopSequences = new[] { "ok", "" } }, "StopSequence" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public void Invalid_requests_name_the_parameter(InvocationRequest request, string parameter)
    {
        var error = Assert.Throws<InvocationValidationException>(() => InvocationRequestBuilder.Build(request));
        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void Boundary_values_are_accepted()
    {
        var body = Body(InvocationRequestBuilder.Build(new InvocationRequest { Prompt = "p", MaxTokens = 1, Temperature = 2, TopP = 1, TopK = 1 }));
        Assert.Equal(2, body.GetProperty("temperature").GetDouble());
    }

    [Fact]
    public void A_caller_built_body_is_kept_byte_for_byte_and_its_stop_and_prompt_are_read()
    {
        var json = "{\"prompt\":\"Q\",\"max_tokens\":512,\"top_k\":50,\"stop\":[\"</answer>\"],\"temperature\":0.5}";
        var prepared = InvocationRequestBuilder.FromBody(json);
        Assert.Equal(Encoding.UTF8.GetBytes(json), prepared.Body);
        Assert.Equal("Q", prepared.Prompt);
        Assert.Equal(new[] { "</answer>" }, prepared.StopSequences);
        Assert.Equal(InvocationFormat.OpenAICompletion, prepared.Format);

        var chat = InvocationRequestBuilder.FromBody("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stop\":\"X\"}");
        Assert.Equal(InvocationFormat.OpenAIChat, chat.Format);
        Assert.Equal("Hi", chat.Prompt);
        Assert.Equal(new[] { "X" }, chat.StopSequences);

        Assert.Equal(InvocationFormat.BedrockCompletion, InvocationRequestBuilder.FromBody("{\"prompt\":\"a\",\"max_gen_len\":3}").Format);
        Assert.Null(InvocationRequestBuilder.FromBody("{\"inputs\":\"a\"}").Format);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    [InlineData("")]
    public void A_caller_built_body_must_be_a_json_object(string json)
    {
        var error = Assert.Throws<InvocationValidationException>(() => InvocationRequestBuilder.FromBody(json));
        Assert.Equal("Body", error.ParamName);
    }

    [Fact]
    public void Messages_come_from_hashtables_with_any_key_case()
    {
        var message = ChatMessage.FromDictionary(new System.Collections.Hashtable { ["Role"] = "User", ["CONTENT"] = 42 });
        Assert.Equal("user", message.Role);
        Assert.Equal("42", message.Content);

        Assert.Equal("Messages", Assert.Throws<InvocationValidationException>(() => ChatMessage.FromDictionary(new System.Collections.Hashtable { ["content"] = "x" })).ParamName);
        Assert.Equal("Messages", Assert.Throws<InvocationValidationException>(() => ChatMessage.FromDictionary(new System.Collections.Hashtable { ["role"] = "user" })).ParamName);
    }
}

using System.Text.Json;
using BedrockImport.Engine.Invocation;

namespace BedrockImport.Engine.Tests.Invocation;

public class ChatTemplateSourceTests
{
    private static readonly ChatMessage[] Hi = { new("user", "Hi") };

    private static string TokenizerConfig(object chatTemplate, object bos, object eos)
    {
        var config = new Dictionary<string, object> { ["tokenizer_class"] = "PreTrainedTokenizerFast", ["bos_token"] = bos, ["eos_token"] = eos };
        if (chatTemplate != null) config["chat_template"] = chatTemplate;
        return JsonSerializer.Serialize(config);
    }

    [Fact]
    public void The_older_layout_keeps_the_template_and_tokens_in_tokenizer_config()
    {
        var template = ChatTemplateSource.Read(null, TokenizerConfig(ChatTemplateFixtures.Llama3, "<|begin_of_text|>", "<|eot_id|>"));
        Assert.NotNull(template);
        Assert.Equal("<|begin_of_text|>", template.BosToken);
        Assert.Equal("<|eot_id|>", template.EosToken);
        Assert.StartsWith("<|begin_of_text|><|start_header_id|>user", template.Render(Hi));
    }

    [Fact]
    public void Chat_template_jinja_wins_over_the_embedded_template_and_tokens_may_be_objects()
    {
        var config = TokenizerConfig("EMBEDDED {{ messages[0].content }}", new { content = "<s>", lstrip = false }, new { content = "</s>" });
        var template = ChatTemplateSource.Read("{{ bos_token }}FILE {{ messages[0].content }}{{ eos_token }}", config);
        Assert.Equal("<s>FILE Hi</s>", template!.Render(Hi));
    }

    [Fact]
    public void The_new_layout_has_only_chat_template_jinja()
    {
        var config = JsonSerializer.Serialize(new { tokenizer_class = "TokenizersBackend", backend = "tokenizers" });
        var template = ChatTemplateSource.Read("T {{ messages | length }}", config);
        Assert.Equal("T 1", template!.Render(Hi));
        Assert.Null(template.BosToken);
        Assert.Equal("X", ChatTemplateSource.Read("X", null)!.Render(Hi));
    }

    [Fact]
    public void A_list_of_named_templates_uses_default()
    {
        var named = new object[] { new { name = "tool_use", template = "TOOLS" }, new { name = "default", template = "DEFAULT" } };
        Assert.Equal("DEFAULT", ChatTemplateSource.Read(null, TokenizerConfig(named, "<s>", "</s>"))!.Render(Hi));

        var noDefault = new object[] { new { name = "rag", template = "RAG" }, new { name = "tool_use", template = "TOOLS" } };
        Assert.Equal("RAG", ChatTemplateSource.Read(null, TokenizerConfig(noDefault, "<s>", "</s>"))!.Render(Hi));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("  \n", "{}")]
    [InlineData(null, "{\"bos_token\":\"<s>\"}")]
    public void No_template_gives_null(string jinja, string config)
    {
        Assert.Null(ChatTemplateSource.Read(jinja, config));
    }

    [Fact]
    public void A_broken_tokenizer_config_is_a_chat_template_exception()
    {
        Assert.Throws<ChatTemplateException>(() => ChatTemplateSource.Read(null, "{not json"));
    }

    [Fact]
    public async Task The_cache_loads_each_source_once_and_retries_after_a_failure()
    {
        var cache = new ChatTemplateCache();
        var loads = 0;
        Task<ChatTemplate> Load(CancellationToken _) { loads++; return Task.FromResult(ChatTemplate.Parse("x")); }

        var first = await cache.GetOrLoadAsync("s3://b/m/", Load, CancellationToken.None);
        var second = await cache.GetOrLoadAsync("s3://b/m/", Load, CancellationToken.None);
        Assert.Same(first, second);
        Assert.Equal(1, loads);

        await Assert.ThrowsAsync<IOException>(() => cache.GetOrLoadAsync("s3://b/other/", _ => throw new IOException("denied"), CancellationToken.None));
        var recovered = await cache.GetOrLoadAsync("s3://b/other/", Load, CancellationToken.None);
        Assert.NotNull(recovered);
        Assert.Equal(2, loads);

        Assert.Null(await cache.GetOrLoadAsync("s3://b/none/", _ => Task.FromResult<ChatTemplate>(null), CancellationToken.None));
    }
}

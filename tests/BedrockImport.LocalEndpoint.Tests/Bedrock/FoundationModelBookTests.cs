using System.Net;
using System.Text.Json;
using BedrockImport.LocalEndpoint.Bedrock;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

/// <summary>A stand-in foundation model's own answer book in DATA/foundation-models/&lt;id&gt;/responses.jsonl.</summary>
public sealed class FoundationModelBookTests : IAsyncLifetime
{
    private const string FewShot =
        "質問: 会社の最高責任者を何というか？\n選択肢: 部長, 社長, 運転士\n答え: 社長\n\n" +
        "質問: 電車を動かす人を何というか？\n選択肢: 車掌, 運転士, 駅長\n答え:";

    private BedrockTestEndpoint _endpoint;

    public async Task InitializeAsync() => _endpoint = await BedrockTestEndpoint.StartAsync();

    public async Task DisposeAsync() => await _endpoint.DisposeAsync();

    private string BookPath(string folder) => Path.Combine(_endpoint.Endpoint.DataDirectory, "foundation-models", folder, "responses.jsonl");

    private void WriteBook(string folder, string jsonl)
    {
        var path = BookPath(folder);
        Directory.CreateDirectory(Path.GetDirectoryName(path));
        File.WriteAllText(path, jsonl);
    }

    private static string Entry(string contains, string response) => JsonSerializer.Serialize(new { contains, response }) + "\n";

    private async Task<string> ConverseTextAsync(string modelId, string text)
    {
        var body = await BedrockTestEndpoint.JsonAsync(await _endpoint.SendAsync(HttpMethod.Post, "model/" + Uri.EscapeDataString(modelId) + "/converse",
            new { messages = new[] { new { role = "user", content = new[] { new { text } } } } }), HttpStatusCode.OK);
        return body.GetProperty("output").GetProperty("message").GetProperty("content")[0].GetProperty("text").GetString();
    }

    private async Task<string> ConverseStreamTextAsync(string modelId, string text)
    {
        var events = await BedrockTestEndpoint.ReadEventStreamAsync(await _endpoint.SendAsync(HttpMethod.Post, "model/" + Uri.EscapeDataString(modelId) + "/converse-stream",
            new { messages = new[] { new { role = "user", content = new[] { new { text } } } } }));
        return string.Concat(events.Where(e => e.GetString(":event-type") == "contentBlockDelta")
            .Select(e => JsonDocument.Parse(e.Payload).RootElement.GetProperty("delta").GetProperty("text").GetString()));
    }

    [Fact]
    public async Task The_data_folders_book_answers_first_and_the_latest_contains_entry_in_a_few_shot_prompt_wins()
    {
        WriteBook("anthropic.claude-3-sonnet-20240229-v1_0",
            Entry("会社の最高責任者を何というか？", "社長") + Entry("電車を動かす人を何というか？", "運転士") + Entry("capital of France", "Paris, from the data folder."));

        Assert.Equal("運転士", await ConverseTextAsync(FoundationModels.ClaudeSonnet, FewShot));
        Assert.Equal("運転士", await ConverseStreamTextAsync(FoundationModels.ClaudeSonnet, FewShot));
        Assert.Equal("Paris, from the data folder.", await ConverseTextAsync(FoundationModels.ClaudeSonnet, "What is the capital of France?"));
        // The built-in book still answers what the data folder's does not.
        Assert.Equal("Two plus two is four.", await ConverseTextAsync(FoundationModels.ClaudeSonnet, "What is two plus two?"));
    }

    [Fact]
    public async Task The_inference_profile_uses_the_claude_book_and_nova_keeps_its_own()
    {
        WriteBook("anthropic.claude-3-sonnet-20240229-v1_0", Entry("planted question", "planted answer"));

        Assert.Equal("planted answer", await ConverseTextAsync(FoundationModels.ClaudeSonnetProfile, "A planted question?"));
        Assert.Equal("planted answer", await ConverseTextAsync(
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/" + FoundationModels.ClaudeSonnetProfile, "A planted question?"));
        Assert.NotEqual("planted answer", await ConverseTextAsync(FoundationModels.NovaLite, "A planted question?"));

        WriteBook("amazon.nova-lite-v1_0", Entry("planted question", "Nova's planted answer"));
        Assert.Equal("Nova's planted answer", await ConverseTextAsync(FoundationModels.NovaLite, "A planted question?"));
        Assert.Equal("Nova's planted answer", await ConverseTextAsync("arn:aws:bedrock:us-east-1::foundation-model/" + FoundationModels.NovaLite, "A planted question?"));
    }

    [Fact]
    public async Task A_rewritten_book_is_picked_up_and_a_deleted_one_leaves_the_built_in_book()
    {
        const string folder = "anthropic.claude-3-sonnet-20240229-v1_0";
        var builtIn = await ConverseTextAsync(FoundationModels.ClaudeSonnet, "What is the capital of France?");
        Assert.Equal("The capital of France is Paris.", builtIn);

        WriteBook(folder, Entry("capital of France", "First book."));
        Assert.Equal("First book.", await ConverseTextAsync(FoundationModels.ClaudeSonnet, "What is the capital of France?"));

        WriteBook(folder, Entry("capital of France", "The rewritten book answers."));
        Assert.Equal("The rewritten book answers.", await ConverseTextAsync(FoundationModels.ClaudeSonnet, "What is the capital of France?"));

        // Same size, later write time.
        WriteBook(folder, Entry("capital of France", "The rewritten book answerz."));
        File.SetLastWriteTimeUtc(BookPath(folder), DateTime.UtcNow.AddMinutes(1));
        Assert.Equal("The rewritten book answerz.", await ConverseTextAsync(FoundationModels.ClaudeSonnet, "What is the capital of France?"));

        File.Delete(BookPath(folder));
        Assert.Equal(builtIn, await ConverseTextAsync(FoundationModels.ClaudeSonnet, "What is the capital of France?"));
    }

    [Fact]
    public async Task Malformed_lines_of_the_book_are_skipped()
    {
        WriteBook("anthropic.claude-3-sonnet-20240229-v1_0", "not json\n{\"contains\": 3, \"response\": \"x\"}\n" + Entry("good question", "good answer"));
        Assert.Equal("good answer", await ConverseTextAsync(FoundationModels.ClaudeSonnet, "A good question"));
    }
}

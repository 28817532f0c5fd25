using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Inference.Tokenization;
using BedrockImport.LocalEndpoint.Tests.Bedrock;

namespace BedrockImport.LocalEndpoint.Tests.Admin;

/// <summary>POST /_admin/local-models and /_admin/local-models/tokenize: a model folder on this machine served as an
/// imported model (the fixture models shared with the inference tests), and its tokenizer.</summary>
public sealed class LocalModelsApiTests
{
    private static readonly string FixturesFolder = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private static Task<BedrockTestEndpoint> StartAsync() => BedrockTestEndpoint.StartAsync(k => k.Bedrock.Engine = "weights");

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(BedrockTestEndpoint endpoint, string path, object body)
    {
        using var response = await endpoint.Endpoint.Http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string CopyFixture(string model)
    {
        var folder = Path.Combine(Path.GetTempPath(), "bi-local-models-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Path.Combine(FixturesFolder, model)))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        return folder;
    }

    [Fact]
    public async Task A_registered_folder_answers_its_reference_greedy_text_and_registering_it_again_answers_the_same_model()
    {
        var folder = Path.Combine(FixturesFolder, "llama");
        await using var endpoint = await StartAsync();

        var (status, registered) = await PostAsync(endpoint, "/_admin/local-models", new { path = folder, name = "youko-local" });
        Assert.True(status == HttpStatusCode.OK, registered.ToString());
        var arn = registered.GetProperty("modelArn").GetString();
        Assert.Equal("youko-local", registered.GetProperty("modelName").GetString());
        Assert.True("weights" == registered.GetProperty("engine").GetString(), registered.ToString());
        var (again, second) = await PostAsync(endpoint, "/_admin/local-models", new { path = folder + "/" });
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(arn, second.GetProperty("modelArn").GetString());

        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixturesFolder, "reference.json")));
        var greedy = reference.RootElement.GetProperty("models").GetProperty("llama").GetProperty("greedy");
        var outputIds = greedy.GetProperty("output_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var body = new { prompt = greedy.GetProperty("prompt").GetString(), max_gen_len = outputIds.Length, temperature = 0 };
        HttpResponseMessage answer;
        var attempts = 0;
        while ((answer = await endpoint.InvokeAsync(arn, body)).StatusCode == (HttpStatusCode)429 && attempts++ < 600)
            await Task.Delay(50);
        var generation = (await BedrockTestEndpoint.JsonAsync(answer, HttpStatusCode.OK)).GetProperty("generation").GetString();
        var tokenizer = ModelTokenizer.Load(folder);
        Assert.Equal(tokenizer.Decode(outputIds, skipSpecialTokens: true), generation);

        var listed = await BedrockTestEndpoint.JsonAsync(await endpoint.SendAsync(HttpMethod.Get, "imported-models/" + Uri.EscapeDataString(arn)), HttpStatusCode.OK);
        Assert.Equal("youko-local", listed.GetProperty("modelName").GetString());
    }

    [Fact]
    public async Task Tokenize_answers_the_ids_of_the_folders_own_tokenizer_without_special_tokens()
    {
        var folder = Path.Combine(FixturesFolder, "qwen2");
        await using var endpoint = await StartAsync();
        var (_, registered) = await PostAsync(endpoint, "/_admin/local-models", new { path = folder });
        var arn = registered.GetProperty("modelArn").GetString();
        var texts = new[] { "質問: 次のうち", "", "hello world" };

        var (status, answer) = await PostAsync(endpoint, "/_admin/local-models/tokenize", new { modelArn = arn, texts });

        Assert.True(status == HttpStatusCode.OK, answer.ToString());
        var tokenizer = ModelTokenizer.Load(folder);
        var expected = texts.Select(t => tokenizer.Encode(t, addSpecialTokens: false).ToArray()).ToList();
        Assert.Equal(expected, answer.GetProperty("tokens").EnumerateArray().Select(a => a.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToList());
        Assert.NotEmpty(expected[0]);
    }

    [Fact]
    public async Task Tokenize_refuses_an_arn_that_was_not_registered_here()
    {
        await using var endpoint = await StartAsync();
        var imported = await endpoint.ImportModelAsync();

        var (status, answer) = await PostAsync(endpoint, "/_admin/local-models/tokenize", new { modelArn = imported, texts = new[] { "x" } });

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("ModelNotFound", answer.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Folders_that_are_not_models_are_refused_with_the_reason()
    {
        var empty = Path.Combine(Path.GetTempPath(), "bi-local-models-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(empty);
        var noTokenizer = CopyFixture("llama");
        File.Delete(Path.Combine(noTokenizer, "tokenizer.json"));
        var otherArchitecture = CopyFixture("llama");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(otherArchitecture, "config.json")))!.AsObject();
        config["model_type"] = "mamba";
        config["architectures"] = new JsonArray("MambaForCausalLM");
        File.WriteAllText(Path.Combine(otherArchitecture, "config.json"), config.ToJsonString());
        try
        {
            await using var endpoint = await StartAsync();

            async Task<(HttpStatusCode, string, string)> Refusal(object body)
            {
                var (status, answer) = await PostAsync(endpoint, "/_admin/local-models", body);
                return (status, answer.GetProperty("code").GetString(), answer.GetProperty("message").GetString());
            }

            var (relativeStatus, relativeCode, _) = await Refusal(new { path = "relative/model" });
            Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (relativeStatus, relativeCode));
            var (missingStatus, missingCode, missing) = await Refusal(new { path = Path.Combine(empty, "absent") });
            Assert.Equal((HttpStatusCode.BadRequest, "ModelFolderNotAModel"), (missingStatus, missingCode));
            Assert.Contains("is not a folder", missing);
            var (_, emptyCode, emptyMessage) = await Refusal(new { path = empty });
            Assert.Equal("ModelFolderNotAModel", emptyCode);
            Assert.Contains("config.json", emptyMessage);
            var (_, tokenizerCode, tokenizerMessage) = await Refusal(new { path = noTokenizer });
            Assert.Equal("ModelFolderNotAModel", tokenizerCode);
            Assert.Contains("tokenizer.json", tokenizerMessage);
            var (architectureStatus, architectureCode, architectureMessage) = await Refusal(new { path = otherArchitecture });
            Assert.Equal(((HttpStatusCode)422, "UnsupportedArchitecture"), (architectureStatus, architectureCode));
            Assert.Contains("mamba", architectureMessage, StringComparison.OrdinalIgnoreCase);
            var (nameStatus, nameCode, _) = await Refusal(new { path = Path.Combine(FixturesFolder, "llama"), name = "bad name!" });
            Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (nameStatus, nameCode));
        }
        finally
        {
            foreach (var folder in new[] { empty, noTokenizer, otherArchitecture })
                Directory.Delete(folder, recursive: true);
        }
    }
}

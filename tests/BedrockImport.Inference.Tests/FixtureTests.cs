using System.Text.Json;

namespace BedrockImport.Inference.Tests;

public class FixtureTests
{
    internal static string FixturePath(params string[] parts) => Path.Combine(new[] { AppContext.BaseDirectory, "Fixtures" }.Concat(parts).ToArray());

    [Fact]
    public void The_fixtures_are_copied_with_the_tests_and_each_model_type_is_supported()
    {
        using var reference = JsonDocument.Parse(File.ReadAllText(FixturePath("reference.json")));
        foreach (var model in new[] { "llama", "qwen2" })
        {
            using var config = JsonDocument.Parse(File.ReadAllText(FixturePath(model, "config.json")));
            Assert.Contains(config.RootElement.GetProperty("model_type").GetString(), InferenceInfo.SupportedModelTypes);
            Assert.True(File.Exists(FixturePath(model, "tokenizer.json")));
        }
        Assert.Equal(JsonValueKind.Object, reference.RootElement.ValueKind);
    }
}

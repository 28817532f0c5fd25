using System.Text.Json;
using BedrockImport.Inference.Generation;
using BedrockImport.Inference.Model;

namespace BedrockImport.Inference.Tests.Model;

/// <summary>The transformers-written fixtures: greedy ids from the bf16 shards equal transformers' float32 ids.</summary>
public class FixtureGenerationTests
{
    internal static (int[] Input, int[] Output) Reference(string model)
    {
        using var reference = JsonDocument.Parse(File.ReadAllText(FixtureTests.FixturePath("reference.json")));
        var greedy = reference.RootElement.GetProperty("models").GetProperty(model).GetProperty("greedy");
        return (
            greedy.GetProperty("input_ids").EnumerateArray().Select(id => id.GetInt32()).ToArray(),
            greedy.GetProperty("output_ids").EnumerateArray().Select(id => id.GetInt32()).ToArray());
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public void Greedy_generation_equals_the_transformers_reference(string model)
    {
        var (input, expected) = Reference(model);
        using var loaded = TransformerModel.Load(FixtureTests.FixturePath(model));
        var streamed = new List<int>();
        // The fixtures' eos (1) is not among the reference ids; stop on none so all 12 are compared.
        var result = Generator.Generate(loaded, input, new GenerationOptions { MaxTokens = expected.Length, StopTokenIds = Array.Empty<int>(), OnToken = streamed.Add });
        Assert.Equal(expected, result.OutputIds);
        Assert.Equal(expected, streamed);
        Assert.Equal(input.Length, result.PromptTokenCount);
        Assert.Equal(expected.Length, result.OutputTokenCount);
        Assert.Equal(StopReason.Length, result.StopReason);
    }

    [Fact]
    public void The_fixtures_are_read_as_their_configs_say()
    {
        using var llama = TransformerModel.Load(FixtureTests.FixturePath("llama"));
        using var qwen = TransformerModel.Load(FixtureTests.FixturePath("qwen2"));
        Assert.False(llama.HasAttentionBias);
        Assert.True(qwen.HasAttentionBias);
        Assert.False(llama.LmHeadIsTied);
        Assert.Equal(new[] { 1 }, llama.Config.EosTokenIds);
        Assert.Equal(2, llama.Config.KeyValueHeadCount);
        Assert.Equal(16, llama.Config.HeadDim);
    }
}

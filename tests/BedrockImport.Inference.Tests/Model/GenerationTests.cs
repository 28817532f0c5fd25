using BedrockImport.Inference.Generation;
using BedrockImport.Inference.Model;

namespace BedrockImport.Inference.Tests.Model;

public class GenerationTests
{
    [Fact]
    public void Generation_stops_on_any_eos_id_and_reports_the_counts()
    {
        using var model = TransformerModel.Load(FixtureTests.FixturePath("qwen2"));
        var (input, greedy) = FixtureGenerationTests.Reference("qwen2");
        // Make the fourth greedy id a stop id (among others): generation ends there, the stop id included.
        var result = Generator.Generate(model, input, new GenerationOptions { MaxTokens = 50, StopTokenIds = new[] { 999, greedy[3] } });
        Assert.Equal(greedy[..4], result.OutputIds);
        Assert.Equal(StopReason.Stop, result.StopReason);
        Assert.Equal(input.Length, result.PromptTokenCount);
        Assert.Equal(4, result.OutputTokenCount);

        var none = Generator.Generate(model, input, new GenerationOptions { MaxTokens = 0 });
        Assert.Empty(none.OutputIds);
        Assert.Equal(StopReason.Length, none.StopReason);
    }

    [Fact]
    public void The_models_eos_ids_come_from_generation_config()
    {
        using var model = TransformerModel.Load(FixtureTests.FixturePath("llama"));
        var (input, _) = FixtureGenerationTests.Reference("llama");
        // No stop ids given: the model's own (generation_config.json: 1). Wherever sampling draws it, it is the last id.
        for (int seed = 0; seed < 5; seed++)
        {
            var result = Generator.Generate(model, input, new GenerationOptions { MaxTokens = 8, Temperature = 1f, Seed = seed });
            Assert.Equal(result.OutputIds.Contains(1), result.StopReason == StopReason.Stop);
            if (result.StopReason == StopReason.Stop)
            {
                Assert.Equal(1, result.OutputIds[^1]);
            }
        }
    }

    [Fact]
    public void Sampling_repeats_for_a_seed_and_differs_across_seeds()
    {
        using var model = TransformerModel.Load(FixtureTests.FixturePath("llama"));
        var (input, _) = FixtureGenerationTests.Reference("llama");
        GenerationOptions Options(int seed) => new() { MaxTokens = 16, Temperature = 1.5f, TopP = 0.95f, TopK = 50, Seed = seed, StopTokenIds = Array.Empty<int>() };
        var first = Generator.Generate(model, input, Options(11)).OutputIds;
        Assert.Equal(first, Generator.Generate(model, input, Options(11)).OutputIds);
        var others = Enumerable.Range(12, 4).Select(seed => Generator.Generate(model, input, Options(seed)).OutputIds).ToArray();
        Assert.Contains(others, ids => !ids.SequenceEqual(first));
    }

    [Fact]
    public void Top_k_one_and_a_tiny_top_p_are_greedy_whatever_the_temperature()
    {
        using var model = TransformerModel.Load(FixtureTests.FixturePath("qwen2"));
        var (input, greedy) = FixtureGenerationTests.Reference("qwen2");
        var topK = Generator.Generate(model, input, new GenerationOptions { MaxTokens = greedy.Length, Temperature = 5f, TopK = 1, Seed = 3, StopTokenIds = Array.Empty<int>() });
        var topP = Generator.Generate(model, input, new GenerationOptions { MaxTokens = greedy.Length, Temperature = 0.7f, TopP = 1e-6f, Seed = 4, StopTokenIds = Array.Empty<int>() });
        Assert.Equal(greedy, topK.OutputIds);
        Assert.Equal(greedy, topP.OutputIds);
    }

    [Fact]
    public void Top_k_keeps_only_the_k_most_likely_ids()
    {
        var logits = new float[] { 0.1f, 3f, -2f, 2.9f, 0f, 2.8f };
        var random = new Random(5);
        var options = new GenerationOptions { Temperature = 10f, TopK = 3 };
        var drawn = Enumerable.Range(0, 300).Select(_ => Generator.Choose(logits, options, random)).ToHashSet();
        Assert.Equal(new[] { 1, 3, 5 }, drawn.Order());
    }

    [Fact]
    public void Top_k_over_the_whole_vocabulary_draws_what_the_full_sort_draws()
    {
        var random = new Random(9);
        // Repeated values, so ties are ordered (lower id first) the same way by the heap and by the sort.
        var logits = Enumerable.Range(0, 500).Select(_ => random.Next(40) / 8f).ToArray();
        var heap = new GenerationOptions { Temperature = 0.8f, TopP = 0.9f, TopK = logits.Length };
        var sort = new GenerationOptions { Temperature = 0.8f, TopP = 0.9f };
        var heapRandom = new Random(1);
        var sortRandom = new Random(1);
        var heapDraws = Enumerable.Range(0, 200).Select(_ => Generator.Choose(logits, heap, heapRandom)).ToArray();
        var sortDraws = Enumerable.Range(0, 200).Select(_ => Generator.Choose(logits, sort, sortRandom)).ToArray();
        Assert.Equal(sortDraws, heapDraws);
        Assert.True(heapDraws.Distinct().Count() > 5);
    }

    [Fact]
    public void Bad_options_are_refused()
    {
        using var model = TransformerModel.Load(FixtureTests.FixturePath("qwen2"));
        Assert.Throws<ArgumentException>(() => Generator.Generate(model, new[] { 5 }, new GenerationOptions { TopP = 0 }));
        Assert.Throws<ArgumentException>(() => Generator.Generate(model, Array.Empty<int>(), new GenerationOptions()));
    }
}

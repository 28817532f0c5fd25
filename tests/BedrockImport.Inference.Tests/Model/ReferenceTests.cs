using System.Text.Json;
using BedrockImport.Inference.Generation;
using BedrockImport.Inference.Model;
using Xunit.Abstractions;

namespace BedrockImport.Inference.Tests.Model;

/// <summary>The synthetic models of References/ (large weights, non-zero biases, norm weights ≠ 1, 3–4 layers, a
/// 40-id prompt) against the independent PyTorch reference that make_references.py computed for them.</summary>
public class ReferenceTests
{
    private readonly ITestOutputHelper output;

    public ReferenceTests(ITestOutputHelper output)
    {
        this.output = output;
    }

    /// <summary>References/ beside this file in the source tree (the test project copies only Fixtures/ to its
    /// output, so the data is found by walking up from the test binaries to the project folder).</summary>
    internal static string ReferencesPath(params string[] parts)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "BedrockImport.Inference.Tests.csproj")))
        {
            directory = directory.Parent;
        }
        Assert.NotNull(directory);
        return Path.Combine(new[] { directory!.FullName, "Model", "References" }.Concat(parts).ToArray());
    }

    private static JsonElement Reference(string model)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(ReferencesPath("references.json")));
        return document.RootElement.GetProperty("models").GetProperty(model).Clone();
    }

    private static int[] Ids(JsonElement element) => element.EnumerateArray().Select(id => id.GetInt32()).ToArray();

    private static readonly string[] ModelNames = ["llama", "llama_tied", "llama_f16", "qwen2", "mistral", "qwen3", "mixtral"];

    public static TheoryData<string> Models => new(ModelNames);

    [Theory]
    [MemberData(nameof(Models))]
    public void Greedy_ids_equal_the_reference_and_each_steps_top_logits_agree(string name)
    {
        var reference = Reference(name);
        var prompt = Ids(reference.GetProperty("prompt_ids"));
        var expectedIds = Ids(reference.GetProperty("greedy_ids"));
        // The reference's float32 logits are float32_error from the exact (float64) ones; ours are a comparable
        // distance on the other side, in another order of operations (SIMD dot products, per-position RoPE angles).
        // Five times that error bounds both with room and stays far below the smallest top-1 margin, which the
        // script keeps above 2e-3, so agreeing logits also pin the greedy choice.
        double float32Error = reference.GetProperty("float32_error").GetDouble();
        float tolerance = (float)Math.Max(5e-5, 5 * float32Error);
        Assert.True(tolerance < reference.GetProperty("min_top1_margin").GetDouble() / 2);

        using var model = TransformerModel.Load(ReferencesPath(name));
        Assert.Equal(reference.GetProperty("model_type").GetString(), model.Config.ModelType);
        var result = Generator.Generate(model, prompt, new GenerationOptions { MaxTokens = expectedIds.Length, StopTokenIds = Array.Empty<int>(), PrefillBatch = 16 });
        Assert.Equal(expectedIds, result.OutputIds);

        var cache = model.CreateCache();
        var logits = model.Prefill(prompt, cache, 16);
        float worst = 0;
        int step = 0;
        foreach (var expected in reference.GetProperty("steps").EnumerateArray())
        {
            var topIds = Ids(expected.GetProperty("top_ids"));
            var topLogits = expected.GetProperty("top_logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            for (int i = 0; i < topIds.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(logits[topIds[i]] - topLogits[i]));
            }
            Assert.Equal(topIds[0], Array.IndexOf(logits, logits.Max()));
            if (++step < expectedIds.Length)
            {
                logits = model.Forward(new[] { expectedIds[step - 1] }, cache);
            }
        }
        output.WriteLine(name + ": largest top-5 logit difference " + worst + " (tolerance " + tolerance + ", float32 error " + float32Error + ")");
        // The reference rounds logits to 6 decimals: half a unit there on top of the tolerance.
        Assert.True(worst <= tolerance + 5e-7f, name + ": largest top-5 logit difference " + worst + " exceeds " + tolerance);
    }

    [Fact]
    public void The_references_exercise_what_the_architectures_differ_in()
    {
        using var llama = TransformerModel.Load(ReferencesPath("llama"));
        using var tied = TransformerModel.Load(ReferencesPath("llama_tied"));
        using var qwen2 = TransformerModel.Load(ReferencesPath("qwen2"));
        using var qwen3 = TransformerModel.Load(ReferencesPath("qwen3"));
        using var mistral = TransformerModel.Load(ReferencesPath("mistral"));
        using var mixtral = TransformerModel.Load(ReferencesPath("mixtral"));
        Assert.Equal(RopeScaling.Llama3, llama.Config.RopeScaling);
        Assert.NotEqual(llama.Config.HiddenSize / llama.Config.HeadCount, llama.Config.HeadDim);
        Assert.True(llama.HasAttentionBias);
        Assert.True(tied.LmHeadIsTied);
        Assert.Equal(500000.0, tied.Config.RopeTheta);
        Assert.Equal(new[] { 1, 2 }, tied.Config.EosTokenIds);
        Assert.True(qwen2.HasAttentionBias);
        Assert.True(qwen3.Config.HasQueryKeyNorm);
        Assert.All(mistral.Config.SlidingWindowOfLayer, window => Assert.Equal(8, window));
        Assert.Equal((4, 2), (mixtral.Config.ExpertCount, mixtral.Config.ExpertsPerToken));
        using var f16 = TransformerModel.Load(ReferencesPath("llama_f16"));
        using var f16Weights = ModelWeights.Open(ReferencesPath("llama_f16"));
        Assert.Equal(WeightDtype.F16, f16Weights.Get("model.layers.0.self_attn.q_proj.weight").Dtype);
        Assert.Equal((RopeScaling.Linear, 2.0, 1), (f16.Config.RopeScaling, f16.Config.RopeFactor, f16.Config.KeyValueHeadCount));
        // make_references.py checked that leaving out each of these parts changes the reference's greedy ids.
        foreach (var model in ModelNames)
        {
            foreach (var part in Reference(model).GetProperty("first_differing_step_without").EnumerateObject())
            {
                Assert.True(part.Value.ValueKind == JsonValueKind.Number, model + ": ids do not depend on " + part.Name);
            }
        }
    }
}

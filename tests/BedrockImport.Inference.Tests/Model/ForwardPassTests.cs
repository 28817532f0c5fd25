using System.Text.Json.Nodes;
using BedrockImport.Inference.Model;

namespace BedrockImport.Inference.Tests.Model;

public sealed class ForwardPassTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("forward-tests").FullName;

    public void Dispose() => Directory.Delete(folder, true);

    internal static int[] Sequence(int length, int vocab, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(vocab)).ToArray();
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }
        Assert.True(worst <= tolerance, "largest difference " + worst + " exceeds " + tolerance);
    }

    /// <summary>Copies a model folder's tensors into one f32 model.safetensors, leaving out <paramref name="drop"/>,
    /// with config.json changed by <paramref name="editConfig"/>.</summary>
    internal static void WriteF32Copy(string source, string destination, Action<JsonObject> editConfig, params string[] drop) =>
        WriteF32Copy(source, destination, editConfig, drop, new Dictionary<string, long[]>());

    /// <summary>As above, plus zero-filled f32 tensors of the given shapes.</summary>
    internal static void WriteF32Copy(string source, string destination, Action<JsonObject> editConfig, string[] drop, Dictionary<string, long[]> extra)
    {
        using var weights = ModelWeights.Open(source);
        var header = new Dictionary<string, object>();
        var data = new List<byte>();
        foreach (var (name, shape) in extra)
        {
            long bytes = shape.Aggregate(4L, (product, dimension) => product * dimension);
            header[name] = new Dictionary<string, object> { ["dtype"] = "F32", ["shape"] = shape, ["data_offsets"] = new long[] { data.Count, data.Count + bytes } };
            data.AddRange(new byte[bytes]);
        }
        foreach (var name in weights.TensorNames.Where(n => !drop.Contains(n)).OrderBy(n => n, StringComparer.Ordinal))
        {
            var tensor = weights.Get(name);
            var bytes = tensor.ToArray().SelectMany(BitConverter.GetBytes).ToArray();
            header[name] = new Dictionary<string, object> { ["dtype"] = "F32", ["shape"] = tensor.Shape, ["data_offsets"] = new long[] { data.Count, data.Count + bytes.Length } };
            data.AddRange(bytes);
        }
        SafetensorsTests.Write(Path.Combine(destination, ModelWeights.SingleFileName), header, data.ToArray());
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        editConfig(config);
        File.WriteAllText(Path.Combine(destination, "config.json"), config.ToJsonString());
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public void Decoding_with_the_kv_cache_gives_the_logits_of_recomputing_the_whole_sequence(string fixture)
    {
        using var model = TransformerModel.Load(FixtureTests.FixturePath(fixture));
        var tokens = Sequence(20, model.Config.VocabSize, 1);
        var cache = model.CreateCache();
        model.Prefill(tokens[..5], cache);
        for (int length = 6; length <= tokens.Length; length++)
        {
            var decoded = model.Forward(tokens.AsSpan(length - 1, 1), cache);
            var recomputed = model.Forward(tokens.AsSpan(0, length), model.CreateCache());
            AssertClose(recomputed, decoded, 1e-4f);
        }
        Assert.Equal(tokens.Length, cache.Length);
    }

    [Theory]
    [InlineData("llama", 7)]
    [InlineData("qwen2", 32)]
    public void Batched_prefill_equals_one_token_at_a_time(string fixture, int batch)
    {
        using var model = TransformerModel.Load(FixtureTests.FixturePath(fixture));
        var tokens = Sequence(45, model.Config.VocabSize, 2);
        var batched = model.Forward(tokens, model.CreateCache(), allLogits: true);
        var prefilled = model.Prefill(tokens, model.CreateCache(), batch);
        var cache = model.CreateCache();
        int vocab = model.Config.VocabSize;
        for (int t = 0; t < tokens.Length; t++)
        {
            var single = model.Forward(tokens.AsSpan(t, 1), cache);
            AssertClose(single, batched.AsSpan(t * vocab, vocab), 1e-4f);
        }
        AssertClose(prefilled, batched.AsSpan((tokens.Length - 1) * vocab, vocab), 1e-4f);
    }

    [Fact]
    public void The_f32_copy_of_a_bf16_model_computes_the_same_logits()
    {
        WriteF32Copy(FixtureTests.FixturePath("qwen2"), folder, _ => { });
        using var bf16 = TransformerModel.Load(FixtureTests.FixturePath("qwen2"));
        using var f32 = TransformerModel.Load(folder);
        var tokens = Sequence(12, bf16.Config.VocabSize, 3);
        Assert.Equal(bf16.Forward(tokens, bf16.CreateCache(), true), f32.Forward(tokens, f32.CreateCache(), true));
    }

    [Fact]
    public void A_tied_model_uses_the_embeddings_as_lm_head()
    {
        string untiedFolder = Directory.CreateDirectory(Path.Combine(folder, "untied")).FullName;
        string tiedFolder = Directory.CreateDirectory(Path.Combine(folder, "tied")).FullName;
        // An untied model whose lm_head is the embedding matrix, and the same model tied with no lm_head at all.
        WriteF32Copy(FixtureTests.FixturePath("llama"), tiedFolder, config => config["tie_word_embeddings"] = true, "lm_head.weight");
        WriteF32Copy(FixtureTests.FixturePath("llama"), untiedFolder, _ => { });
        using var untiedOriginal = TransformerModel.Load(untiedFolder);
        using var tied = TransformerModel.Load(tiedFolder);
        Assert.True(tied.LmHeadIsTied);
        Assert.False(untiedOriginal.LmHeadIsTied);

        var tokens = Sequence(10, tied.Config.VocabSize, 4);
        var tiedLogits = tied.Forward(tokens, tied.CreateCache());
        var untiedLogits = untiedOriginal.Forward(tokens, untiedOriginal.CreateCache());
        // The fixture's lm_head differs from its embeddings, so tying must change the logits...
        Assert.NotEqual(untiedLogits, tiedLogits);

        // ...to exactly what an explicit lm_head equal to the embeddings gives.
        string explicitFolder = Directory.CreateDirectory(Path.Combine(folder, "explicit")).FullName;
        WriteWithLmHeadFromEmbeddings(tiedFolder, explicitFolder);
        using var explicitHead = TransformerModel.Load(explicitFolder);
        Assert.False(explicitHead.LmHeadIsTied);
        Assert.Equal(tiedLogits, explicitHead.Forward(tokens, explicitHead.CreateCache()));

        // Untied without an lm_head is an error, not a silent tie.
        string missingFolder = Directory.CreateDirectory(Path.Combine(folder, "missing")).FullName;
        WriteF32Copy(FixtureTests.FixturePath("llama"), missingFolder, _ => { }, "lm_head.weight");
        Assert.Contains("lm_head", Assert.Throws<ModelFormatException>(() => TransformerModel.Load(missingFolder)).Message);
    }

    private static void WriteWithLmHeadFromEmbeddings(string tiedFolder, string destination)
    {
        using var weights = ModelWeights.Open(tiedFolder);
        var header = new Dictionary<string, object>();
        var data = new List<byte>();
        void Add(string name, WeightTensor tensor)
        {
            var bytes = tensor.ToArray().SelectMany(BitConverter.GetBytes).ToArray();
            header[name] = new Dictionary<string, object> { ["dtype"] = "F32", ["shape"] = tensor.Shape, ["data_offsets"] = new long[] { data.Count, data.Count + bytes.Length } };
            data.AddRange(bytes);
        }
        foreach (var name in weights.TensorNames)
        {
            Add(name, weights.Get(name));
        }
        Add("lm_head.weight", weights.Get("model.embed_tokens.weight"));
        SafetensorsTests.Write(Path.Combine(destination, ModelWeights.SingleFileName), header, data.ToArray());
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(tiedFolder, "config.json")))!.AsObject();
        config["tie_word_embeddings"] = false;
        File.WriteAllText(Path.Combine(destination, "config.json"), config.ToJsonString());
    }

    [Fact]
    public void Mixtral_experts_fused_into_three_dimensional_tensors_are_reported_as_not_supported()
    {
        string source = ReferenceTests.ReferencesPath("mixtral");
        using (var weights = ModelWeights.Open(source))
        {
            var drop = weights.TensorNames.Where(name => name.Contains(".block_sparse_moe.")).ToArray();
            WriteF32Copy(source, folder, _ => { }, drop, new Dictionary<string, long[]>
            {
                ["model.layers.0.mlp.gate.weight"] = new long[] { 4, 64 },
                ["model.layers.0.mlp.experts.gate_up_proj"] = new long[] { 4, 192, 64 },
                ["model.layers.0.mlp.experts.down_proj"] = new long[] { 4, 64, 96 },
            });
        }
        var error = Assert.Throws<ModelNotSupportedException>(() => TransformerModel.Load(folder));
        Assert.StartsWith("not supported: mixtral (experts fused", error.Message);
    }

    [Fact]
    public void A_token_outside_the_vocabulary_and_a_wrongly_shaped_tensor_are_errors()
    {
        using var model = TransformerModel.Load(FixtureTests.FixturePath("llama"));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(new[] { model.Config.VocabSize }, model.CreateCache()));
        WriteF32Copy(FixtureTests.FixturePath("llama"), folder, config => config["intermediate_size"] = 96);
        Assert.Contains("gate_proj.weight has shape [128, 64]", Assert.Throws<ModelFormatException>(() => TransformerModel.Load(folder)).Message);
    }
}

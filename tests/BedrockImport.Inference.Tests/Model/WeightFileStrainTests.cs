using System.Text;
using BedrockImport.Inference.Model;

namespace BedrockImport.Inference.Tests.Model;

/// <summary>Safetensors files that are cut, grown, swapped or disagree with config.json after (or before) they are mapped:
/// each is a specific error naming the file and tensor, found with ordinary file reads and status calls, never by reading
/// a mapped page past a file's end (a SIGBUS would end the test run). The fixtures are copied to a temporary folder.</summary>
public sealed class WeightFileStrainTests : IDisposable
{
    private const string FirstShard = "model-00001-of-00005.safetensors";
    private const string SecondShard = "model-00002-of-00005.safetensors";
    private readonly string folder = Directory.CreateTempSubdirectory("weight-strain").FullName;

    public WeightFileStrainTests()
    {
        foreach (var file in Directory.GetFiles(FixtureTests.FixturePath("llama")))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }
    }

    public void Dispose() => Directory.Delete(folder, true);

    private string InFolder(string name) => Path.Combine(folder, name);

    private static void SetLength(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        stream.SetLength(length);
    }

    [Fact]
    public void A_shard_cut_after_the_model_loaded_is_reported_changed_and_refused_when_opened_again()
    {
        long length = new FileInfo(InFolder(FirstShard)).Length;
        using (var model = TransformerModel.Load(folder))
        {
            Assert.Null(model.WeightFilesChanged());
            SetLength(InFolder(FirstShard), length - 1000);

            var change = model.WeightFilesChanged();
            Assert.NotNull(change);
            Assert.Contains(FirstShard, change);
            Assert.Contains(length + " bytes and is now " + (length - 1000), change);
        }

        var error = Assert.Throws<ModelFormatException>(() => TransformerModel.Load(folder));
        Assert.Contains(FirstShard, error.Message);
        Assert.Contains("outside the file", error.Message);
        Assert.Contains("model.embed_tokens.weight", error.Message);
    }

    [Fact]
    public void A_shard_cut_inside_its_header_is_refused_before_anything_is_mapped()
    {
        SetLength(InFolder(SecondShard), 100);
        var error = Assert.Throws<ModelFormatException>(() => ModelWeights.Open(folder));
        Assert.Contains(SecondShard, error.Message);
        Assert.Contains("does not fit the file's 100 bytes", error.Message);
    }

    [Fact]
    public void A_grown_shard_is_reported_changed_and_its_extra_bytes_are_refused()
    {
        using (var weights = ModelWeights.Open(folder))
        {
            using (var stream = new FileStream(InFolder(SecondShard), FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
            {
                stream.Write(new byte[64]);
            }
            Assert.Contains(SecondShard, weights.Changed());
        }

        var error = Assert.Throws<ModelFormatException>(() => ModelWeights.Open(folder));
        Assert.Contains(SecondShard, error.Message);
        Assert.Contains("cut or grown", error.Message);
    }

    [Fact]
    public void A_shard_replaced_under_its_name_is_reported_changed()
    {
        using var weights = ModelWeights.Open(folder);
        // An object replaced by a rename: the mapping keeps the old file, but the folder no longer says what it runs.
        var replacement = InFolder("replacement.tmp");
        File.WriteAllBytes(replacement, File.ReadAllBytes(InFolder(SecondShard)).Concat(new byte[8]).ToArray());
        File.Move(replacement, InFolder(SecondShard), overwrite: true);

        var change = weights.Changed();
        Assert.Contains(SecondShard, change);
        Assert.Contains("replaced", change);
    }

    [Fact]
    public void A_shard_swapped_for_one_with_other_tensors_names_the_tensor_the_index_expects()
    {
        File.Copy(InFolder(SecondShard), InFolder(FirstShard), overwrite: true);
        var error = Assert.Throws<ModelFormatException>(() => ModelWeights.Open(folder));
        Assert.Contains(FirstShard, error.Message);
        Assert.Contains("model.embed_tokens.weight", error.Message);
        Assert.Contains("no such tensor", error.Message);
    }

    [Fact]
    public void A_shard_the_index_names_that_is_missing_is_named()
    {
        File.Delete(InFolder(SecondShard));
        var error = Assert.Throws<ModelFormatException>(() => ModelWeights.Open(folder));
        Assert.Contains(SecondShard, error.Message);
        Assert.Contains("not in the folder", error.Message);
    }

    [Fact]
    public void A_tensor_shape_that_disagrees_with_config_json_names_file_tensor_and_both_shapes()
    {
        var config = File.ReadAllText(InFolder("config.json")).Replace("\"vocab_size\": 594", "\"vocab_size\": 600");
        File.WriteAllText(InFolder("config.json"), config);
        var error = Assert.Throws<ModelFormatException>(() => TransformerModel.Load(folder));
        Assert.Contains(FirstShard + ": tensor model.embed_tokens.weight", error.Message);
        Assert.Contains("[594, 64]", error.Message);
        Assert.Contains("[600, 64]", error.Message);
    }

    private static object Entry(string dtype, long[] shape, long begin, long end) =>
        new Dictionary<string, object> { ["dtype"] = dtype, ["shape"] = shape, ["data_offsets"] = new[] { begin, end } };

    [Fact]
    public void Shards_whose_matrices_have_different_dtypes_are_refused_naming_both()
    {
        string shards = Directory.CreateDirectory(InFolder("mixed")).FullName;
        SafetensorsTests.Write(Path.Combine(shards, "a.safetensors"), new Dictionary<string, object>
        {
            ["norm"] = Entry("F32", new long[] { 2 }, 0, 8),
            ["w1"] = Entry("BF16", new long[] { 2, 2 }, 8, 16),
        }, new byte[16]);
        SafetensorsTests.Write(Path.Combine(shards, "b.safetensors"), new Dictionary<string, object>
        {
            ["w2"] = Entry("F16", new long[] { 2, 2 }, 0, 8),
        }, new byte[8]);
        File.WriteAllText(Path.Combine(shards, ModelWeights.IndexFileName),
            "{\"weight_map\":{\"norm\":\"a.safetensors\",\"w1\":\"a.safetensors\",\"w2\":\"b.safetensors\"}}");

        var error = Assert.Throws<ModelFormatException>(() => ModelWeights.Open(shards));
        Assert.Contains("b.safetensors: tensor w2 is F16", error.Message);
        Assert.Contains("a.safetensors has w1 as BF16", error.Message);

        // f32 vectors beside bf16 matrices (as some exports keep norms) are no mismatch.
        SafetensorsTests.Write(Path.Combine(shards, "b.safetensors"), new Dictionary<string, object>
        {
            ["w2"] = Entry("BF16", new long[] { 2, 2 }, 0, 8),
        }, new byte[8]);
        using var weights = ModelWeights.Open(shards);
        Assert.Equal(3, weights.TensorNames.Count);
    }

    [Fact]
    public void Data_offsets_that_leave_a_gap_are_refused()
    {
        string path = InFolder("gap.safetensors");
        SafetensorsTests.Write(path, new Dictionary<string, object>
        {
            ["a"] = Entry("F32", new long[] { 1 }, 0, 4),
            ["b"] = Entry("F32", new long[] { 1 }, 8, 12),
        }, new byte[12]);
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("gap.safetensors: tensor b", error.Message);
        Assert.Contains("gaps or overlaps", error.Message);
    }

    [Fact]
    public void A_memory_estimate_counts_every_mapped_byte_and_a_kv_cache_that_grows_with_the_context()
    {
        var config = ModelConfig.Load(folder);
        long shardBytes = Directory.GetFiles(folder, "*.safetensors").Sum(f => new FileInfo(f).Length);
        using var model = TransformerModel.Load(folder);
        var estimate = model.EstimateMemory();
        Assert.Equal(shardBytes, estimate.WeightBytes);
        Assert.Equal(config.MaxPositionEmbeddings, estimate.ContextTokens);
        Assert.True(estimate.TotalBytes > estimate.WeightBytes + estimate.KvCacheBytes);
        // The cache doubles: twice the context (past its first 64 positions) is twice the bytes.
        Assert.Equal(2 * model.EstimateMemory(256).KvCacheBytes, model.EstimateMemory(512).KvCacheBytes);
        Assert.Equal(estimate, TransformerModel.EstimateMemory(config, shardBytes));

        // The estimate holds what a cache filled to that context really allocates.
        var cache = model.CreateCache();
        model.Prefill(Enumerable.Range(0, 200).Select(i => i % config.VocabSize).ToArray(), cache);
        long cacheBytes = Enumerable.Range(0, config.LayerCount).Sum(l => 4L * (cache.Keys(l).Length + cache.Values(l).Length));
        Assert.True(cacheBytes <= model.EstimateMemory(200).KvCacheBytes, cacheBytes + " > estimate");
    }

    [Fact]
    public void An_undecodable_string_in_config_json_is_a_format_error()
    {
        var config = File.ReadAllText(InFolder("config.json")).Replace("\"model_type\": \"llama\"", "\"model_type\": \"ll\\ud800ama\"");
        File.WriteAllText(InFolder("config.json"), config);
        var error = Assert.Throws<ModelFormatException>(() => ModelConfig.Load(folder));
        Assert.Contains("config.json is not JSON", error.Message);
        Assert.Contains("not valid Unicode", error.Message);
    }

    [Fact]
    public void An_undecodable_string_in_generation_config_json_is_a_format_error()
    {
        File.WriteAllText(InFolder("generation_config.json"), "{\"eos_token_id\": 1, \"note\": \"\\udc00\"}");
        var error = Assert.Throws<ModelFormatException>(() => ModelConfig.Load(folder));
        Assert.Contains("not valid Unicode", error.Message);
    }

    [Fact]
    public void An_undecodable_tensor_name_in_the_index_is_a_format_error()
    {
        var index = File.ReadAllText(InFolder(ModelWeights.IndexFileName)).Replace("\"lm_head.weight\"", "\"lm_head\\ud800.weight\"");
        File.WriteAllText(InFolder(ModelWeights.IndexFileName), index);
        var error = Assert.Throws<ModelFormatException>(() => ModelWeights.Open(folder));
        Assert.Contains(ModelWeights.IndexFileName + " is not JSON", error.Message);
        Assert.Contains("not valid Unicode", error.Message);

        File.WriteAllBytes(InFolder(ModelWeights.IndexFileName), Encoding.UTF8.GetBytes("{\"weight_map\":{\"a\":\"").Concat(new byte[] { 0xC3, 0x28 })
            .Concat(Encoding.UTF8.GetBytes(".safetensors\"}}")).ToArray());
        Assert.Contains("not valid Unicode", Assert.Throws<ModelFormatException>(() => ModelWeights.Open(folder)).Message);
    }
}

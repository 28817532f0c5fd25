using BedrockImport.Inference.Model;

namespace BedrockImport.Inference.Tests.Model;

public class ModelConfigTests
{
    private const string Shape = "\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100";

    [Fact]
    public void Current_rope_parameters_and_older_top_level_rope_theta_give_the_same_rope()
    {
        var current = ModelConfig.Parse("{\"model_type\":\"llama\"," + Shape + ",\"rope_parameters\":{\"rope_type\":\"default\",\"rope_theta\":500000.0}}");
        var older = ModelConfig.Parse("{\"model_type\":\"llama\"," + Shape + ",\"rope_theta\":500000.0,\"rope_scaling\":null}");
        Assert.Equal(500000.0, current.RopeTheta);
        Assert.Equal(500000.0, older.RopeTheta);
        Assert.Equal(RopeScaling.Default, older.RopeScaling);
        Assert.Equal(new Rope(current).InverseFrequencies, new Rope(older).InverseFrequencies);
        Assert.Equal(10000.0, ModelConfig.Parse("{\"model_type\":\"llama\"," + Shape + "}").RopeTheta);
    }

    [Fact]
    public void Llama3_scaling_is_read_from_either_layout_and_changes_only_the_low_frequencies()
    {
        const string scaling = "{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":8192";
        var current = ModelConfig.Parse("{\"model_type\":\"llama\"," + Shape + ",\"rope_parameters\":" + scaling + ",\"rope_theta\":500000.0}}");
        var older = ModelConfig.Parse("{\"model_type\":\"llama\"," + Shape + ",\"rope_theta\":500000.0,\"rope_scaling\":" + scaling.Replace("rope_type", "type") + "}}");
        var plain = ModelConfig.Parse("{\"model_type\":\"llama\"," + Shape + ",\"rope_theta\":500000.0}");
        Assert.Equal(RopeScaling.Llama3, current.RopeScaling);
        Assert.Equal(8.0, older.RopeFactor);
        var scaled = new Rope(current).InverseFrequencies;
        Assert.Equal(scaled, new Rope(older).InverseFrequencies);
        var unscaled = new Rope(plain).InverseFrequencies;
        // Wavelengths shorter than 8192/4 keep their frequency; longer than 8192/1 are divided by the factor.
        for (int i = 0; i < scaled.Count; i++)
        {
            double wavelength = 2 * Math.PI / unscaled[i];
            if (wavelength < 2048)
            {
                Assert.Equal(unscaled[i], scaled[i]);
            }
            else if (wavelength > 8192)
            {
                Assert.Equal(unscaled[i] / 8, scaled[i], 1e-6 * unscaled[i]);
            }
            else
            {
                Assert.InRange(scaled[i], unscaled[i] / 8, unscaled[i]);
            }
        }
        Assert.Contains(unscaled, f => 2 * Math.PI / f > 8192);
    }

    [Fact]
    public void Head_dim_gqa_eps_tying_and_eos_lists_are_read()
    {
        var config = ModelConfig.Parse(
            "{\"model_type\":\"qwen3\"," + Shape + ",\"head_dim\":32,\"num_key_value_heads\":2,\"rms_norm_eps\":1e-5,\"tie_word_embeddings\":true,\"eos_token_id\":5}",
            "{\"eos_token_id\":[7,9],\"bos_token_id\":3}");
        Assert.Equal(32, config.HeadDim);
        Assert.Equal(2, config.KeyValueHeadCount);
        Assert.Equal(1e-5f, config.RmsNormEps);
        Assert.True(config.TieWordEmbeddings);
        Assert.True(config.HasQueryKeyNorm);
        Assert.Equal(new[] { 7, 9 }, config.EosTokenIds);
        Assert.Equal(3, config.BosTokenId);
        var fallback = ModelConfig.Parse("{\"model_type\":\"llama\"," + Shape + ",\"eos_token_id\":[5,6]}");
        Assert.Equal(16, fallback.HeadDim);
        Assert.Equal(4, fallback.KeyValueHeadCount);
        Assert.Equal(new[] { 5, 6 }, fallback.EosTokenIds);
    }

    [Fact]
    public void Sliding_windows_follow_each_architectures_rule()
    {
        var mistral = ModelConfig.Parse("{\"model_type\":\"mistral\"," + Shape + ",\"sliding_window\":16}");
        Assert.Equal(new int?[] { 16, 16 }, mistral.SlidingWindowOfLayer);
        var qwenOff = ModelConfig.Parse("{\"model_type\":\"qwen2\"," + Shape + ",\"sliding_window\":16,\"use_sliding_window\":false,\"max_window_layers\":1}");
        Assert.Equal(new int?[] { null, null }, qwenOff.SlidingWindowOfLayer);
        var qwenOn = ModelConfig.Parse("{\"model_type\":\"qwen2\"," + Shape + ",\"sliding_window\":16,\"use_sliding_window\":true,\"max_window_layers\":1}");
        Assert.Equal(new int?[] { null, 16 }, qwenOn.SlidingWindowOfLayer);
        var typed = ModelConfig.Parse("{\"model_type\":\"qwen2\"," + Shape + ",\"sliding_window\":16,\"layer_types\":[\"sliding_attention\",\"full_attention\"]}");
        Assert.Equal(new int?[] { 16, null }, typed.SlidingWindowOfLayer);
    }

    [Theory]
    [InlineData("gpt2", "not supported: gpt2")]
    [InlineData("gemma3", "not supported: gemma3")]
    public void Other_architectures_are_reported_as_not_supported(string modelType, string expected)
    {
        var error = Assert.Throws<ModelNotSupportedException>(() => ModelConfig.Parse("{\"model_type\":\"" + modelType + "\"," + Shape + "}"));
        Assert.Equal(expected, error.Message);
        Assert.Equal(modelType, error.ModelType);
    }

    [Fact]
    public void An_unknown_rope_type_and_a_missing_size_are_clear()
    {
        Assert.Contains("rope_type yarn", Assert.Throws<ModelNotSupportedException>(() =>
            ModelConfig.Parse("{\"model_type\":\"llama\"," + Shape + ",\"rope_parameters\":{\"rope_type\":\"yarn\",\"factor\":4.0}}")).Message);
        Assert.Contains("hidden_size", Assert.Throws<ModelFormatException>(() =>
            ModelConfig.Parse("{\"model_type\":\"llama\",\"num_attention_heads\":4}")).Message);
    }

    [Fact]
    public void Check_support_reports_a_folder_without_loading_weights()
    {
        var folder = Directory.CreateTempSubdirectory("config-tests").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "config.json"), "{\"model_type\":\"phi3\"}");
            Assert.Equal((false, "not supported: phi3"), ModelConfig.CheckSupport(folder));
            Assert.Equal((true, null), ModelConfig.CheckSupport(FixtureTests.FixturePath("qwen2")));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}

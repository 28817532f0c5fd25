using BedrockImport.Engine.ModelPackage;

namespace BedrockImport.Engine.Tests.ModelPackage;

public class SupportedArchitecturesTests
{
    [Theory]
    [InlineData("LlamaForCausalLM", "llama", false)]
    [InlineData("MllamaForConditionalGeneration", "mllama", true)]
    [InlineData("MistralForCausalLM", "mistral", false)]
    [InlineData("MixtralForCausalLM", "mixtral", false)]
    [InlineData("T5ForConditionalGeneration", "t5", false)]
    [InlineData("GPTBigCodeForCausalLM", "gpt_bigcode", false)]
    [InlineData("Qwen2ForCausalLM", "qwen2", false)]
    [InlineData("Qwen2VLForConditionalGeneration", "qwen2_vl", true)]
    [InlineData("Qwen2_5_VLForConditionalGeneration", "qwen2_5_vl", true)]
    [InlineData("Qwen3ForCausalLM", "qwen3", false)]
    [InlineData("Qwen3MoeForCausalLM", "qwen3_moe", false)]
    [InlineData("GptOssForCausalLM", "gpt_oss", false)]
    public void Each_supported_architecture_is_found_by_architecture_or_model_type(string architecture, string modelType, bool multimodal)
    {
        var byArchitecture = SupportedArchitectures.Find(new[] { architecture }, null);
        var byModelType = SupportedArchitectures.Find(null, modelType);

        Assert.NotNull(byArchitecture);
        Assert.Same(byArchitecture, byModelType);
        Assert.Equal(multimodal, byArchitecture.Multimodal);
        Assert.Equal(multimodal ? 100_000_000_000L : 200_000_000_000L, byArchitecture.MaxTotalBytes);
    }

    [Theory]
    [InlineData("LlamaForSequenceClassification", "llama")]
    [InlineData("BertModel", "bert")]
    [InlineData(null, "gpt2")]
    [InlineData(null, null)]
    public void Unsupported_heads_and_types_are_not_found(string architecture, string modelType)
    {
        Assert.Null(SupportedArchitectures.Find(architecture == null ? null : new[] { architecture }, modelType));
    }
}

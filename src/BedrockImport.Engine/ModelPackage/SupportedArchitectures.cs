namespace BedrockImport.Engine.ModelPackage;

/// <summary>One architecture family Custom Model Import accepts.</summary>
public sealed class SupportedArchitecture
{
    public SupportedArchitecture(string family, IReadOnlyList<string> architectures, IReadOnlyList<string> modelTypes, bool multimodal,
        bool supportsConverse = true)
    {
        Family = family;
        Architectures = architectures;
        ModelTypes = modelTypes;
        Multimodal = multimodal;
        SupportsConverse = supportsConverse;
    }

    /// <summary>Family name as the Bedrock documentation writes it, e.g. "Llama (2, 3, 3.1, 3.2, 3.3)".</summary>
    public string Family { get; }
    /// <summary>config.json "architectures" values of this family.</summary>
    public IReadOnlyList<string> Architectures { get; }
    /// <summary>config.json "model_type" values of this family.</summary>
    public IReadOnlyList<string> ModelTypes { get; }
    public bool Multimodal { get; }
    /// <summary>False for the families the service documents as not answering Converse once imported (InvokeModel only).</summary>
    public bool SupportsConverse { get; }
    /// <summary>Largest model folder accepted: 100 GB for multimodal models, 200 GB for text models (decimal GB).</summary>
    public long MaxTotalBytes => Multimodal ? SupportedArchitectures.MultimodalMaxBytes : SupportedArchitectures.TextMaxBytes;

    public override string ToString() => Family;
}

/// <summary>The one list of architectures Custom Model Import accepts (bedrock-wire-protocol.md §5.2), shared by
/// Test-BedrockModelSource and the local endpoint's import job.</summary>
public static class SupportedArchitectures
{
    public const long TextMaxBytes = 200L * 1000 * 1000 * 1000;
    public const long MultimodalMaxBytes = 100L * 1000 * 1000 * 1000;
    /// <summary>max_position_embeddings must stay below 128K tokens.</summary>
    public const long MaxContextLength = 128 * 1024;

    public static IReadOnlyList<SupportedArchitecture> All { get; } = new[]
    {
        new SupportedArchitecture("Llama (2, 3, 3.1, 3.2, 3.3)", new[] { "LlamaForCausalLM" }, new[] { "llama" }, false),
        new SupportedArchitecture("Mllama (Llama 3.2 Vision)", new[] { "MllamaForConditionalGeneration" }, new[] { "mllama" }, true),
        new SupportedArchitecture("Mistral", new[] { "MistralForCausalLM" }, new[] { "mistral" }, false),
        new SupportedArchitecture("Mixtral", new[] { "MixtralForCausalLM" }, new[] { "mixtral" }, false),
        new SupportedArchitecture("Flan-T5", new[] { "T5ForConditionalGeneration" }, new[] { "t5" }, false),
        new SupportedArchitecture("GPTBigCode", new[] { "GPTBigCodeForCausalLM" }, new[] { "gpt_bigcode" }, false),
        new SupportedArchitecture("Qwen2 / Qwen2.5", new[] { "Qwen2ForCausalLM" }, new[] { "qwen2" }, false, supportsConverse: false),
        new SupportedArchitecture("Qwen2-VL", new[] { "Qwen2VLForConditionalGeneration" }, new[] { "qwen2_vl" }, true, supportsConverse: false),
        new SupportedArchitecture("Qwen2.5-VL", new[] { "Qwen2_5_VLForConditionalGeneration" }, new[] { "qwen2_5_vl" }, true, supportsConverse: false),
        new SupportedArchitecture("Qwen3", new[] { "Qwen3ForCausalLM" }, new[] { "qwen3" }, false, supportsConverse: false),
        new SupportedArchitecture("Qwen3 MoE", new[] { "Qwen3MoeForCausalLM" }, new[] { "qwen3_moe" }, false, supportsConverse: false),
        new SupportedArchitecture("GPT-OSS", new[] { "GptOssForCausalLM" }, new[] { "gpt_oss" }, false, supportsConverse: false),
    };

    /// <summary>Finds the family of a config.json. When "architectures" is given it decides (a known model_type
    /// with an unknown head such as LlamaForSequenceClassification is not importable); otherwise model_type does.</summary>
    public static SupportedArchitecture? Find(IEnumerable<string>? architectures, string? modelType)
    {
        var names = architectures?.Where(a => !string.IsNullOrEmpty(a)).ToList() ?? new List<string>();
        if (names.Count > 0)
            return All.FirstOrDefault(s => s.Architectures.Any(a => names.Contains(a, StringComparer.Ordinal)));
        if (!string.IsNullOrEmpty(modelType))
            return All.FirstOrDefault(s => s.ModelTypes.Contains(modelType!, StringComparer.Ordinal));
        return null;
    }

    /// <summary>Comma-separated architecture names, for messages.</summary>
    public static string Describe() => string.Join(", ", All.SelectMany(s => s.Architectures));
}

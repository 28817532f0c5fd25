using System.Text;
using System.Text.Json;
using BedrockImport.Shared;

namespace BedrockImport.Inference.Model;

/// <summary>How RoPE's inverse frequencies are scaled (rope_type of transformers' rope utilities).</summary>
public enum RopeScaling
{
    Default,
    Linear,
    Llama3,
}

/// <summary>What config.json (and generation_config.json) say about a Llama-family model: the shapes, the RoPE, the
/// norms and the stop ids. Whether optional biases exist is decided by the weights, not here.</summary>
public sealed class ModelConfig
{
    public string ModelType { get; init; } = string.Empty;
    public int HiddenSize { get; init; }
    public int IntermediateSize { get; init; }
    public int LayerCount { get; init; }
    public int HeadCount { get; init; }
    public int KeyValueHeadCount { get; init; }
    public int HeadDim { get; init; }
    public int VocabSize { get; init; }
    public float RmsNormEps { get; init; } = 1e-6f;
    public double RopeTheta { get; init; } = 10000.0;
    public RopeScaling RopeScaling { get; init; }
    public double RopeFactor { get; init; } = 1.0;
    public double RopeLowFreqFactor { get; init; } = 1.0;
    public double RopeHighFreqFactor { get; init; } = 4.0;
    public int RopeOriginalMaxPositions { get; init; } = 8192;
    public int MaxPositionEmbeddings { get; init; }
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Per layer: how many keys back a query may look (itself included), or null for full attention.</summary>
    public IReadOnlyList<int?> SlidingWindowOfLayer { get; init; } = Array.Empty<int?>();

    /// <summary>Experts of a mixtral layer (0 for a dense MLP) and how many each token is routed to.</summary>
    public int ExpertCount { get; init; }
    public int ExpertsPerToken { get; init; }

    /// <summary>Qwen3 normalises each head's query and key (q_norm, k_norm) before RoPE.</summary>
    public bool HasQueryKeyNorm { get; init; }

    public IReadOnlyList<int> EosTokenIds { get; init; } = Array.Empty<int>();
    public int? BosTokenId { get; init; }

    /// <summary>Reads config.json and, when present, generation_config.json from a model folder.</summary>
    public static ModelConfig Load(string folder)
    {
        string configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath))
        {
            throw new ModelFormatException("the model folder has no config.json");
        }
        string? generation = null;
        string generationPath = Path.Combine(folder, "generation_config.json");
        if (File.Exists(generationPath))
        {
            generation = File.ReadAllText(generationPath);
        }
        return Parse(File.ReadAllText(configPath), generation);
    }

    /// <summary>Whether the folder's model runs here; Reason is "not supported: model_type" when it does not.</summary>
    public static (bool Supported, string? Reason) CheckSupport(string folder)
    {
        try
        {
            Load(folder);
            return (true, null);
        }
        catch (ModelNotSupportedException exception)
        {
            return (false, exception.Message);
        }
        catch (ModelFormatException exception)
        {
            return (false, exception.Message);
        }
    }

    public static ModelConfig Parse(string configJson, string? generationConfigJson = null)
    {
        JsonDocument document;
        try
        {
            document = StrictJson.Parse(Encoding.UTF8.GetBytes(configJson));
        }
        catch (JsonException exception)
        {
            throw new ModelFormatException("config.json is not JSON (" + exception.Message + ")");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException("config.json is not a JSON object");
            }
            string modelType = String(root, "model_type") ?? "(none)";
            if (!InferenceInfo.SupportedModelTypes.Contains(modelType))
            {
                throw new ModelNotSupportedException(modelType);
            }
            if (String(root, "hidden_act") is { } activation && activation != "silu")
            {
                throw new ModelNotSupportedException(modelType, "hidden_act " + activation);
            }
            int hidden = Positive(root, "hidden_size");
            int heads = Positive(root, "num_attention_heads");
            int keyValueHeads = Int(root, "num_key_value_heads") ?? heads;
            int headDim = Int(root, "head_dim") ?? hidden / heads;
            int layers = Positive(root, "num_hidden_layers");
            if (keyValueHeads <= 0 || heads % keyValueHeads != 0)
            {
                throw new ModelFormatException("config.json: num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + keyValueHeads);
            }
            if (headDim <= 0 || headDim % 2 != 0)
            {
                throw new ModelFormatException("config.json: head_dim " + headDim + " must be positive and even for RoPE");
            }

            // RoPE: transformers 5 writes rope_parameters; older configs have rope_theta and rope_scaling at the top.
            JsonElement rope = default;
            bool hasRope = root.TryGetProperty("rope_parameters", out rope) && rope.ValueKind == JsonValueKind.Object;
            if (!hasRope)
            {
                hasRope = root.TryGetProperty("rope_scaling", out rope) && rope.ValueKind == JsonValueKind.Object;
            }
            double theta = Double(root, "rope_theta") ?? 10000.0;
            string ropeType = "default";
            double factor = 1.0, lowFreq = 1.0, highFreq = 4.0;
            int originalMax = Int(root, "max_position_embeddings") ?? 8192;
            if (hasRope)
            {
                theta = Double(rope, "rope_theta") ?? theta;
                ropeType = String(rope, "rope_type") ?? String(rope, "type") ?? "default";
                factor = Double(rope, "factor") ?? 1.0;
                lowFreq = Double(rope, "low_freq_factor") ?? 1.0;
                highFreq = Double(rope, "high_freq_factor") ?? 4.0;
                originalMax = Int(rope, "original_max_position_embeddings") ?? originalMax;
            }
            RopeScaling scaling = ropeType switch
            {
                "default" => RopeScaling.Default,
                "linear" => RopeScaling.Linear,
                "llama3" => RopeScaling.Llama3,
                _ => throw new ModelNotSupportedException(modelType, "rope_type " + ropeType),
            };
            if (scaling == RopeScaling.Llama3 && !(highFreq > lowFreq))
            {
                throw new ModelFormatException("config.json: llama3 RoPE needs high_freq_factor > low_freq_factor");
            }

            int experts = 0, perToken = 0;
            if (modelType == "mixtral")
            {
                experts = Positive(root, "num_local_experts");
                perToken = Positive(root, "num_experts_per_tok");
                if (perToken > experts)
                {
                    throw new ModelFormatException("config.json: num_experts_per_tok exceeds num_local_experts");
                }
            }

            int? bos = Int(root, "bos_token_id");
            var eos = IdList(root, "eos_token_id");
            if (generationConfigJson is not null)
            {
                try
                {
                    using var generation = StrictJson.Parse(Encoding.UTF8.GetBytes(generationConfigJson));
                    if (generation.RootElement.ValueKind == JsonValueKind.Object)
                    {
                        if (generation.RootElement.TryGetProperty("eos_token_id", out _))
                        {
                            eos = IdList(generation.RootElement, "eos_token_id");
                        }
                        bos = Int(generation.RootElement, "bos_token_id") ?? bos;
                    }
                }
                catch (JsonException exception)
                {
                    throw new ModelFormatException("generation_config.json is not JSON (" + exception.Message + ")");
                }
            }

            return new ModelConfig
            {
                ModelType = modelType,
                HiddenSize = hidden,
                IntermediateSize = Positive(root, "intermediate_size"),
                LayerCount = layers,
                HeadCount = heads,
                KeyValueHeadCount = keyValueHeads,
                HeadDim = headDim,
                VocabSize = Positive(root, "vocab_size"),
                RmsNormEps = (float)(Double(root, "rms_norm_eps") ?? 1e-6),
                RopeTheta = theta,
                RopeScaling = scaling,
                RopeFactor = factor,
                RopeLowFreqFactor = lowFreq,
                RopeHighFreqFactor = highFreq,
                RopeOriginalMaxPositions = originalMax,
                MaxPositionEmbeddings = Int(root, "max_position_embeddings") ?? 4096,
                TieWordEmbeddings = Bool(root, "tie_word_embeddings") ?? false,
                SlidingWindowOfLayer = SlidingWindows(root, modelType, layers),
                ExpertCount = experts,
                ExpertsPerToken = perToken,
                HasQueryKeyNorm = modelType == "qwen3",
                EosTokenIds = eos,
                BosTokenId = bos,
            };
        }
    }

    /// <summary>mistral and mixtral slide every layer when sliding_window is set; qwen2/qwen3 only with
    /// use_sliding_window, from max_window_layers on; layer_types, when written, says it per layer.</summary>
    private static int?[] SlidingWindows(JsonElement root, string modelType, int layers)
    {
        var result = new int?[layers];
        int? window = Int(root, "sliding_window");
        if (window is null)
        {
            return result;
        }
        if (window <= 0)
        {
            throw new ModelFormatException("config.json: sliding_window must be positive");
        }
        if (root.TryGetProperty("layer_types", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() == layers)
        {
            int index = 0;
            foreach (var type in types.EnumerateArray())
            {
                result[index++] = type.ValueKind == JsonValueKind.String && type.GetString() == "sliding_attention" ? window : null;
            }
            return result;
        }
        bool qwen = modelType is "qwen2" or "qwen3";
        bool useSliding = !qwen || (Bool(root, "use_sliding_window") ?? false);
        int firstSliding = qwen ? Int(root, "max_window_layers") ?? 0 : 0;
        for (int layer = 0; layer < layers; layer++)
        {
            result[layer] = useSliding && layer >= firstSliding ? window : null;
        }
        return result;
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) ? number : null;

    private static double? Double(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private static bool? Bool(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && (value.ValueKind == JsonValueKind.True || value.ValueKind == JsonValueKind.False) ? value.GetBoolean() : null;

    private static int Positive(JsonElement element, string name)
    {
        int? value = Int(element, name);
        if (value is null || value <= 0)
        {
            throw new ModelFormatException("config.json: " + name + " must be a positive integer");
        }
        return value.Value;
    }

    private static int[] IdList(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return Array.Empty<int>();
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int single))
        {
            return new[] { single };
        }
        if (value.ValueKind == JsonValueKind.Array)
        {
            return value.EnumerateArray().Where(id => id.ValueKind == JsonValueKind.Number && id.TryGetInt32(out _)).Select(id => id.GetInt32()).ToArray();
        }
        return Array.Empty<int>();
    }
}

using System.Text;
using System.Text.Json;

namespace BedrockImport.Engine.ModelPackage;

/// <summary>One defect SyntheticModel can plant, each matching one validator check.</summary>
public enum SyntheticModelDefect
{
    None,
    ConfigMissing,
    ConfigInvalidJson,
    ConfigNoArchitecture,
    UnsupportedArchitecture,
    ContextTooLong,
    OnlyBinWeights,
    SafetensorsTruncated,
    SafetensorsHeaderTooLarge,
    SafetensorsHeaderInvalidJson,
    SafetensorsUnknownDtype,
    SafetensorsTensorSizeMismatch,
    SafetensorsOffsetsOverlap,
    SafetensorsOffsetsNotContiguous,
    SafetensorsFileSizeMismatch,
    IndexMissing,
    IndexInvalidJson,
    IndexMissingShard,
    TensorInTwoShards,
    TensorNotInIndex,
    IndexTensorNotInShard,
    IndexTotalSizeMismatch,
    TokenizerMissing,
    TokenizerConfigMissing,
    TokenizerConfigInvalidJson,
}

public enum SyntheticChatTemplate
{
    /// <summary>No chat template anywhere (a base model).</summary>
    None,
    /// <summary>"chat_template" inside tokenizer_config.json (transformers 4.x layout).</summary>
    InTokenizerConfig,
    /// <summary>A separate chat_template.jinja file (transformers 5 layout).</summary>
    JinjaFile,
}

public sealed class SyntheticModelOptions
{
    /// <summary>Number of safetensors shards; 1 writes model.safetensors without an index.
    /// Index defects need two shards and raise this to 2.</summary>
    public int ShardCount { get; set; } = 1;
    /// <summary>Approximate size of the weights; the hidden and intermediate sizes grow to reach it. Null writes a ~300 KB model.</summary>
    public long? TargetTotalBytes { get; set; }
    /// <summary>safetensors dtype of every tensor (BF16, F16, F32; I8 or F8_E4M3 make a "quantized" model).</summary>
    public string Dtype { get; set; } = "BF16";
    public SyntheticChatTemplate ChatTemplate { get; set; } = SyntheticChatTemplate.InTokenizerConfig;
    /// <summary>Write "torch_dtype" (transformers 4.x) instead of "dtype" (transformers 4.56+) in config.json.</summary>
    public bool LegacyTorchDtypeKey { get; set; }
    public string Architecture { get; set; } = "LlamaForCausalLM";
    public string ModelType { get; set; } = "llama";
    public int MaxPositionEmbeddings { get; set; } = 8192;
    /// <summary>Seed of the deterministic weight bytes.</summary>
    public int Seed { get; set; } = 1;
    public SyntheticModelDefect Defect { get; set; }
    /// <summary>More text files to write (name relative to the folder → content), e.g. a responses.jsonl for the local endpoint.</summary>
    public IDictionary<string, string> ExtraFiles { get; set; } = new Dictionary<string, string>();
}

/// <summary>What SyntheticModel.Write produced.</summary>
public sealed class SyntheticModelInfo
{
    public string Folder { get; set; } = "";
    public long ParameterCount { get; set; }
    public long TotalBytes { get; set; }
    public string Dtype { get; set; } = "";
    public int ShardCount { get; set; }
    public int HiddenSize { get; set; }
    public int IntermediateSize { get; set; }
    public int LayerCount { get; set; }
    /// <summary>Every written file, relative to Folder, '/' separated.</summary>
    public IReadOnlyList<string> Files { get; set; } = new List<string>();
}

/// <summary>Writes a small Llama-shaped Hugging Face folder (config.json, generation_config.json, tokenizer files,
/// safetensors shards and index) with deterministic weight bytes, streamed so gigabyte folders need no memory.
/// Used by tests, the demo, the benchmarks and the local endpoint tests.</summary>
public static class SyntheticModel
{
    public const int VocabSize = 512;
    private const int PatternLength = 1 << 20;

    public const string LlamaChatTemplate =
        "{{ bos_token }}{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] | trim }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}";

    public static SyntheticModelInfo Write(string folder, SyntheticModelOptions? options = null)
    {
        options ??= new SyntheticModelOptions();
        if (!SafetensorsDtypes.TryGetSize(options.Dtype, out var elementSize))
            throw new ArgumentException("Unknown safetensors dtype '" + options.Dtype + "'.", nameof(options));
        var defect = options.Defect;
        var shardCount = Math.Max(1, options.ShardCount);
        if (NeedsIndex(defect)) shardCount = Math.Max(2, shardCount);

        Directory.CreateDirectory(folder);
        var dims = Dimensions.For(options.TargetTotalBytes, elementSize, shardCount);
        var tensors = BuildTensors(dims, options.Dtype);
        var shards = AssignShards(tensors, shardCount, elementSize);
        var shardNames = shardCount == 1
            ? new[] { "model.safetensors" }
            : Enumerable.Range(1, shardCount).Select(k => "model-" + k.ToString("00000") + "-of-" + shardCount.ToString("00000") + ".safetensors").ToArray();

        if (defect == SyntheticModelDefect.TensorInTwoShards)
            shards[0].Add(shards[1][0]);

        WriteConfig(folder, options, dims);
        WriteJson(Path.Combine(folder, "generation_config.json"), w =>
        {
            w.WriteNumber("bos_token_id", 1);
            w.WriteNumber("eos_token_id", 2);
            w.WriteString("transformers_version", "4.51.3");
        });
        WriteTokenizer(folder, options);

        var pattern = MakePattern(options.Seed);
        if (defect == SyntheticModelDefect.OnlyBinWeights)
        {
            using var bin = new FileStream(Path.Combine(folder, "pytorch_model.bin"), FileMode.Create, FileAccess.Write);
            bin.Write(pattern, 0, 4096);
        }
        else
        {
            for (var s = 0; s < shardCount; s++)
            {
                if (defect == SyntheticModelDefect.IndexMissingShard && s == shardCount - 1) continue;
                WriteShard(Path.Combine(folder, shardNames[s]), shards[s], pattern, s == 0 ? defect : SyntheticModelDefect.None, elementSize);
            }
            if (shardCount > 1 && defect != SyntheticModelDefect.IndexMissing)
                WriteIndex(folder, shards, shardNames, defect, elementSize);
        }

        foreach (var extra in options.ExtraFiles)
        {
            var path = Path.Combine(folder, extra.Key.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, extra.Value, new UTF8Encoding(false));
        }

        var root = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal).ToList();
        return new SyntheticModelInfo
        {
            Folder = folder,
            ParameterCount = shards.Take(defect == SyntheticModelDefect.IndexMissingShard ? shardCount - 1 : shardCount).SelectMany(s => s).Sum(t => t.Elements),
            TotalBytes = files.Sum(f => new FileInfo(f).Length),
            Dtype = options.Dtype,
            ShardCount = shardCount,
            HiddenSize = dims.Hidden,
            IntermediateSize = dims.Intermediate,
            LayerCount = dims.Layers,
            Files = files.Select(f => f.Substring(root.Length).Replace(Path.DirectorySeparatorChar, '/')).ToList(),
        };
    }

    private static bool NeedsIndex(SyntheticModelDefect defect) =>
        defect == SyntheticModelDefect.IndexMissing || defect == SyntheticModelDefect.IndexInvalidJson || defect == SyntheticModelDefect.IndexMissingShard
        || defect == SyntheticModelDefect.TensorInTwoShards || defect == SyntheticModelDefect.TensorNotInIndex
        || defect == SyntheticModelDefect.IndexTensorNotInShard || defect == SyntheticModelDefect.IndexTotalSizeMismatch;

    private sealed class Dimensions
    {
        public int Hidden, Intermediate, Layers, Heads, KeyValueHeads, HeadDim;

        public static Dimensions For(long? targetBytes, int elementSize, int shardCount)
        {
            var d = new Dimensions { Hidden = 64, Intermediate = 128, Layers = Math.Max(2, shardCount) };
            if (targetBytes.HasValue)
            {
                var targetParams = Math.Max(1, targetBytes.Value / elementSize);
                while (d.Hidden < 8192 && 10L * (2L * d.Hidden) * (2L * d.Hidden) * d.Layers <= targetParams / 2) d.Hidden *= 2;
            }
            d.HeadDim = d.Hidden >= 256 ? 64 : 16;
            d.Heads = d.Hidden / d.HeadDim;
            d.KeyValueHeads = Math.Max(1, d.Heads / 2);
            if (targetBytes.HasValue)
            {
                var targetParams = targetBytes.Value / elementSize;
                var fixedParams = 2L * VocabSize * d.Hidden + d.Hidden
                    + d.Layers * (2L * d.Hidden * d.Hidden + 2L * d.KeyValueHeads * d.HeadDim * d.Hidden + 2L * d.Hidden);
                d.Intermediate = (int)Math.Min(int.MaxValue / 4, Math.Max(16, (targetParams - fixedParams) / (3L * d.Hidden * d.Layers)));
            }
            return d;
        }
    }

    private sealed class TensorPlan
    {
        public TensorPlan(string name, string dtype, long[] shape)
        {
            Name = name;
            Dtype = dtype;
            Shape = shape;
            Elements = shape.Aggregate(1L, (a, b) => a * b);
        }

        public string Name { get; }
        public string Dtype { get; }
        public long[] Shape { get; }
        public long Elements { get; }
    }

    private static List<TensorPlan> BuildTensors(Dimensions d, string dtype)
    {
        var tensors = new List<TensorPlan> { new TensorPlan("model.embed_tokens.weight", dtype, new long[] { VocabSize, d.Hidden }) };
        long kv = d.KeyValueHeads * d.HeadDim;
        for (var l = 0; l < d.Layers; l++)
        {
            var p = "model.layers." + l + ".";
            tensors.Add(new TensorPlan(p + "input_layernorm.weight", dtype, new long[] { d.Hidden }));
            tensors.Add(new TensorPlan(p + "mlp.down_proj.weight", dtype, new long[] { d.Hidden, d.Intermediate }));
            tensors.Add(new TensorPlan(p + "mlp.gate_proj.weight", dtype, new long[] { d.Intermediate, d.Hidden }));
            tensors.Add(new TensorPlan(p + "mlp.up_proj.weight", dtype, new long[] { d.Intermediate, d.Hidden }));
            tensors.Add(new TensorPlan(p + "post_attention_layernorm.weight", dtype, new long[] { d.Hidden }));
            tensors.Add(new TensorPlan(p + "self_attn.k_proj.weight", dtype, new long[] { kv, d.Hidden }));
            tensors.Add(new TensorPlan(p + "self_attn.o_proj.weight", dtype, new long[] { d.Hidden, d.Hidden }));
            tensors.Add(new TensorPlan(p + "self_attn.q_proj.weight", dtype, new long[] { d.Hidden, d.Hidden }));
            tensors.Add(new TensorPlan(p + "self_attn.v_proj.weight", dtype, new long[] { kv, d.Hidden }));
        }
        tensors.Add(new TensorPlan("model.norm.weight", dtype, new long[] { d.Hidden }));
        tensors.Add(new TensorPlan("lm_head.weight", dtype, new long[] { VocabSize, d.Hidden }));
        return tensors;
    }

    // Splits tensors in order into shards of about equal bytes, each shard holding at least one tensor.
    private static List<List<TensorPlan>> AssignShards(List<TensorPlan> tensors, int shardCount, int elementSize)
    {
        var shards = Enumerable.Range(0, shardCount).Select(_ => new List<TensorPlan>()).ToList();
        var total = tensors.Sum(t => t.Elements * elementSize);
        long cumulative = 0;
        var shard = 0;
        for (var i = 0; i < tensors.Count; i++)
        {
            if (shards[shard].Count > 0 && shard < shardCount - 1)
            {
                var quotaReached = cumulative >= total * (shard + 1) / shardCount;
                var justEnoughLeft = tensors.Count - i <= shardCount - 1 - shard;
                if (quotaReached || justEnoughLeft) shard++;
            }
            shards[shard].Add(tensors[i]);
            cumulative += tensors[i].Elements * elementSize;
        }
        return shards;
    }

    private static void WriteConfig(string folder, SyntheticModelOptions options, Dimensions d)
    {
        var path = Path.Combine(folder, "config.json");
        switch (options.Defect)
        {
            case SyntheticModelDefect.ConfigMissing:
                return;
            case SyntheticModelDefect.ConfigInvalidJson:
                File.WriteAllText(path, "{\n  \"architectures\": [\"LlamaForCausalLM\"\n  \"model_type\": \"llama\"\n");
                return;
        }
        var torchDtype = options.Dtype == "BF16" ? "bfloat16" : options.Dtype == "F16" ? "float16" : options.Dtype == "F32" ? "float32" : options.Dtype.ToLowerInvariant();
        WriteJson(path, w =>
        {
            if (options.Defect != SyntheticModelDefect.ConfigNoArchitecture)
            {
                w.WriteStartArray("architectures");
                w.WriteStringValue(options.Defect == SyntheticModelDefect.UnsupportedArchitecture ? "GPT2LMHeadModel" : options.Architecture);
                w.WriteEndArray();
                w.WriteString("model_type", options.Defect == SyntheticModelDefect.UnsupportedArchitecture ? "gpt2" : options.ModelType);
            }
            w.WriteNumber("bos_token_id", 1);
            w.WriteNumber("eos_token_id", 2);
            w.WriteString(options.LegacyTorchDtypeKey ? "torch_dtype" : "dtype", torchDtype);
            w.WriteNumber("hidden_size", d.Hidden);
            w.WriteNumber("intermediate_size", d.Intermediate);
            w.WriteNumber("max_position_embeddings", options.Defect == SyntheticModelDefect.ContextTooLong ? 131072 : options.MaxPositionEmbeddings);
            w.WriteNumber("num_attention_heads", d.Heads);
            w.WriteNumber("num_hidden_layers", d.Layers);
            w.WriteNumber("num_key_value_heads", d.KeyValueHeads);
            w.WriteNumber("head_dim", d.HeadDim);
            w.WriteNumber("rms_norm_eps", 1e-5);
            w.WriteStartObject("rope_parameters");
            w.WriteNumber("rope_theta", 500000.0);
            w.WriteString("rope_type", "default");
            w.WriteEndObject();
            w.WriteBoolean("tie_word_embeddings", false);
            w.WriteString("transformers_version", "4.51.3");
            w.WriteNumber("vocab_size", VocabSize);
        });
    }

    private static void WriteTokenizer(string folder, SyntheticModelOptions options)
    {
        if (options.Defect != SyntheticModelDefect.TokenizerMissing)
        {
            WriteJson(Path.Combine(folder, "tokenizer.json"), w =>
            {
                w.WriteString("version", "1.0");
                w.WriteNull("truncation");
                w.WriteNull("padding");
                w.WriteStartObject("model");
                w.WriteString("type", "WordLevel");
                w.WriteStartObject("vocab");
                w.WriteNumber("<unk>", 0);
                w.WriteNumber("<s>", 1);
                w.WriteNumber("</s>", 2);
                for (var i = 3; i < VocabSize; i++) w.WriteNumber("tok" + i, i);
                w.WriteEndObject();
                w.WriteString("unk_token", "<unk>");
                w.WriteEndObject();
            });
        }

        var configPath = Path.Combine(folder, "tokenizer_config.json");
        if (options.Defect == SyntheticModelDefect.TokenizerConfigInvalidJson)
            File.WriteAllText(configPath, "{\"bos_token\": \"<s>\", ");
        else if (options.Defect != SyntheticModelDefect.TokenizerConfigMissing)
            WriteJson(configPath, w =>
            {
                w.WriteString("bos_token", "<s>");
                w.WriteString("eos_token", "</s>");
                w.WriteString("unk_token", "<unk>");
                w.WriteNumber("model_max_length", options.MaxPositionEmbeddings);
                w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
                if (options.ChatTemplate == SyntheticChatTemplate.InTokenizerConfig)
                    w.WriteString("chat_template", LlamaChatTemplate);
            });

        if (options.ChatTemplate == SyntheticChatTemplate.JinjaFile)
            File.WriteAllText(Path.Combine(folder, "chat_template.jinja"), LlamaChatTemplate, new UTF8Encoding(false));
    }

    private static void WriteShard(string path, List<TensorPlan> tensors, byte[] pattern, SyntheticModelDefect defect, int elementSize)
    {
        // Layout: tensors back to back in order; the NotContiguous defect leaves an 8-byte hole after the first tensor.
        var gapAfterFirst = defect == SyntheticModelDefect.SafetensorsOffsetsNotContiguous ? 8 : 0;
        var entries = new List<(TensorPlan Tensor, long Begin, long End)>();
        long offset = 0;
        for (var i = 0; i < tensors.Count; i++)
        {
            var length = tensors[i].Elements * elementSize;
            entries.Add((tensors[i], offset, offset + length));
            offset += length;
            if (i == 0) offset += gapAfterFirst;
        }
        var header = BuildHeader(entries, defect);
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var lengthField = defect == SyntheticModelDefect.SafetensorsHeaderTooLarge ? 200_000_000L : header.Length;
            var prefix = new byte[8];
            for (var i = 0; i < 8; i++) prefix[i] = (byte)(lengthField >> (8 * i));
            file.Write(prefix, 0, 8);
            file.Write(header, 0, header.Length);

            var patternOffset = 0;
            for (var i = 0; i < entries.Count; i++)
            {
                WritePattern(file, pattern, ref patternOffset, entries[i].End - entries[i].Begin);
                if (i == 0 && gapAfterFirst > 0) file.Write(new byte[gapAfterFirst], 0, gapAfterFirst);
            }
            if (defect == SyntheticModelDefect.SafetensorsFileSizeMismatch) file.Write(new byte[16], 0, 16);
            if (defect == SyntheticModelDefect.SafetensorsTruncated) file.SetLength(8 + header.Length / 2);
        }
    }

    private static byte[] BuildHeader(List<(TensorPlan Tensor, long Begin, long End)> entries, SyntheticModelDefect defect)
    {
        if (defect == SyntheticModelDefect.SafetensorsHeaderInvalidJson)
            return Pad(Encoding.UTF8.GetBytes("{\"model.embed_tokens.weight\": {\"dtype\": \"BF16\", \"shape\": [512, "));

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            w.WriteString("format", "pt");
            w.WriteEndObject();
            for (var i = 0; i < entries.Count; i++)
            {
                var (tensor, begin, end) = entries[i];
                var shape = (long[])tensor.Shape.Clone();
                var dtype = tensor.Dtype;
                if (i == 0 && defect == SyntheticModelDefect.SafetensorsTensorSizeMismatch) shape[0] += 1;
                if (i == 0 && defect == SyntheticModelDefect.SafetensorsUnknownDtype) dtype = "Q4_K";
                // Moving the second tensor back by 2 bytes keeps its size right but makes it overlap the first.
                if (i == 1 && defect == SyntheticModelDefect.SafetensorsOffsetsOverlap) { begin -= 2; end -= 2; }
                w.WriteStartObject(tensor.Name);
                w.WriteString("dtype", dtype);
                w.WriteStartArray("shape");
                foreach (var s in shape) w.WriteNumberValue(s);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(begin);
                w.WriteNumberValue(end);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Pad(buffer.ToArray());
    }

    // The safetensors writer pads the header with spaces to a multiple of 8 bytes.
    private static byte[] Pad(byte[] header)
    {
        var padded = (header.Length + 7) / 8 * 8;
        var result = new byte[padded];
        Buffer.BlockCopy(header, 0, result, 0, header.Length);
        for (var i = header.Length; i < padded; i++) result[i] = (byte)' ';
        return result;
    }

    private static void WriteIndex(string folder, List<List<TensorPlan>> shards, string[] shardNames, SyntheticModelDefect defect, int elementSize)
    {
        var path = Path.Combine(folder, "model.safetensors.index.json");
        if (defect == SyntheticModelDefect.IndexInvalidJson)
        {
            File.WriteAllText(path, "{\"metadata\": {\"total_size\": 12}, \"weight_map\": {");
            return;
        }
        // The TensorInTwoShards copy sits at the end of shard 0; the index keeps its true home.
        var placed = new List<(TensorPlan Tensor, string Shard)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var s = 0; s < shards.Count; s++)
            foreach (var tensor in shards[s])
                if (!(defect == SyntheticModelDefect.TensorInTwoShards && s == 0 && tensor == shards[1][0]))
                    placed.Add((tensor, shardNames[s]));
        var totalSize = placed.Sum(p => p.Tensor.Elements * elementSize);
        if (defect == SyntheticModelDefect.IndexTotalSizeMismatch) totalSize += 1000;
        if (defect == SyntheticModelDefect.TensorNotInIndex) placed.RemoveAt(placed.Count - 1);
        if (defect == SyntheticModelDefect.IndexTensorNotInShard) placed[0] = (placed[0].Tensor, shardNames[1]);

        WriteJson(path, w =>
        {
            w.WriteStartObject("metadata");
            w.WriteNumber("total_parameters", placed.Sum(p => p.Tensor.Elements));
            w.WriteNumber("total_size", totalSize);
            w.WriteEndObject();
            w.WriteStartObject("weight_map");
            foreach (var (tensor, shard) in placed.OrderBy(p => p.Tensor.Name, StringComparer.Ordinal))
                if (seen.Add(tensor.Name)) w.WriteString(tensor.Name, shard);
            w.WriteEndObject();
        });
    }

    private static void WriteJson(string path, Action<Utf8JsonWriter> body)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        using var w = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        body(w);
        w.WriteEndObject();
    }

    // Deterministic bytes (xorshift64*) from the seed; tensors stream slices of it so no tensor is held in memory.
    private static byte[] MakePattern(int seed)
    {
        var pattern = new byte[PatternLength];
        var state = 0x9E3779B97F4A7C15UL ^ (ulong)(uint)seed;
        for (var i = 0; i < PatternLength; i += 8)
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            var value = state * 0x2545F4914F6CDD1DUL;
            for (var b = 0; b < 8; b++) pattern[i + b] = (byte)(value >> (8 * b));
        }
        return pattern;
    }

    private static void WritePattern(Stream stream, byte[] pattern, ref int patternOffset, long length)
    {
        while (length > 0)
        {
            var count = (int)Math.Min(length, pattern.Length - patternOffset);
            stream.Write(pattern, patternOffset, count);
            length -= count;
            patternOffset = (patternOffset + count) % pattern.Length;
        }
    }
}

using System.Buffers.Binary;
using System.Text.Json;

namespace InferenceBench;

/// <summary>The shapes of a Llama model; <see cref="Llama32OneB"/> is meta-llama/Llama-3.2-1B's.</summary>
internal sealed record ModelShape(int Layers, int Hidden, int Intermediate, int Heads, int KeyValueHeads, int Vocab)
{
    public int HeadDim => Hidden / Heads;

    public static ModelShape Llama32OneB(int layers) => new(layers, 2048, 8192, 32, 8, 128256);
}

/// <summary>A llama model folder with random bf16 weights (uniform, standard deviation 0.02, as transformers initialises
/// them; norm weights 1), tied embeddings and Llama 3.2's RoPE settings: config.json, generation_config.json and one
/// model.safetensors. No tokenizer: the bench feeds token ids.</summary>
internal static class SyntheticModel
{
    private const int ChunkElements = 1 << 22;
    private const string StampName = "b8-stamp.json";

    /// <summary>Writes the model unless the folder's stamp says it holds this shape and seed already (the stamp is
    /// written last, so an interrupted write is never reused). Answers the weight file's bytes and whether it was reused.</summary>
    public static (long Bytes, bool Reused) WriteOrReuse(string folder, ModelShape shape, ulong seed)
    {
        string stampPath = Path.Combine(folder, StampName);
        string weightsPath = Path.Combine(folder, "model.safetensors");
        string stamp = JsonSerializer.Serialize(new { shape, seed, writer = 1 });
        if (File.Exists(stampPath) && File.Exists(weightsPath) && File.ReadAllText(stampPath) == stamp)
        {
            return (new FileInfo(weightsPath).Length, true);
        }
        Directory.CreateDirectory(folder);
        File.Delete(stampPath);
        long bytes = Write(folder, shape, seed);
        File.WriteAllText(stampPath, stamp);
        return (bytes, false);
    }

    public static long Write(string folder, ModelShape shape, ulong seed)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), Config(shape));
        File.WriteAllText(Path.Combine(folder, "generation_config.json"), "{\"bos_token_id\": 128000, \"eos_token_id\": 128001}");
        var tensors = Tensors(shape);
        string path = Path.Combine(folder, "model.safetensors");
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var header = Header(tensors);
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, header.Length);
            stream.Write(length);
            stream.Write(header);
            var chunk = new ushort[ChunkElements];
            var random = new XorShift(seed);
            foreach (var (_, dims, kind) in tensors)
            {
                long remaining = dims.Aggregate(1L, (product, dimension) => product * dimension);
                while (remaining > 0)
                {
                    int count = (int)Math.Min(remaining, ChunkElements);
                    var values = chunk.AsSpan(0, count);
                    if (kind == Fill.One)
                    {
                        values.Fill(0x3F80);
                    }
                    else
                    {
                        random.FillBf16(values);
                    }
                    stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
                    remaining -= count;
                }
            }
        }
        return new FileInfo(path).Length;
    }

    private enum Fill
    {
        Random,
        One,
    }

    private static List<(string Name, long[] Shape, Fill Kind)> Tensors(ModelShape shape)
    {
        int keyValueWidth = shape.KeyValueHeads * shape.HeadDim;
        var tensors = new List<(string, long[], Fill)>
        {
            ("model.embed_tokens.weight", new long[] { shape.Vocab, shape.Hidden }, Fill.Random),
        };
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            string prefix = "model.layers." + layer + ".";
            tensors.Add((prefix + "input_layernorm.weight", new long[] { shape.Hidden }, Fill.One));
            tensors.Add((prefix + "self_attn.q_proj.weight", new long[] { shape.Hidden, shape.Hidden }, Fill.Random));
            tensors.Add((prefix + "self_attn.k_proj.weight", new long[] { keyValueWidth, shape.Hidden }, Fill.Random));
            tensors.Add((prefix + "self_attn.v_proj.weight", new long[] { keyValueWidth, shape.Hidden }, Fill.Random));
            tensors.Add((prefix + "self_attn.o_proj.weight", new long[] { shape.Hidden, shape.Hidden }, Fill.Random));
            tensors.Add((prefix + "post_attention_layernorm.weight", new long[] { shape.Hidden }, Fill.One));
            tensors.Add((prefix + "mlp.gate_proj.weight", new long[] { shape.Intermediate, shape.Hidden }, Fill.Random));
            tensors.Add((prefix + "mlp.up_proj.weight", new long[] { shape.Intermediate, shape.Hidden }, Fill.Random));
            tensors.Add((prefix + "mlp.down_proj.weight", new long[] { shape.Hidden, shape.Intermediate }, Fill.Random));
        }
        tensors.Add(("model.norm.weight", new long[] { shape.Hidden }, Fill.One));
        return tensors;
    }

    /// <summary>The safetensors header: tensors in file order, padded with spaces to 8 bytes.</summary>
    private static byte[] Header(List<(string Name, long[] Shape, Fill Kind)> tensors)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString("format", "pt");
            json.WriteEndObject();
            long offset = 0;
            foreach (var (name, dims, _) in tensors)
            {
                long bytes = dims.Aggregate(2L, (product, dimension) => product * dimension);
                json.WriteStartObject(name);
                json.WriteString("dtype", "BF16");
                json.WriteStartArray("shape");
                foreach (var dimension in dims)
                {
                    json.WriteNumberValue(dimension);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        while (buffer.Length % 8 != 0)
        {
            buffer.WriteByte((byte)' ');
        }
        return buffer.ToArray();
    }

    private static string Config(ModelShape shape) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["architectures"] = new[] { "LlamaForCausalLM" },
        ["model_type"] = "llama",
        ["hidden_act"] = "silu",
        ["hidden_size"] = shape.Hidden,
        ["intermediate_size"] = shape.Intermediate,
        ["num_hidden_layers"] = shape.Layers,
        ["num_attention_heads"] = shape.Heads,
        ["num_key_value_heads"] = shape.KeyValueHeads,
        ["head_dim"] = shape.HeadDim,
        ["vocab_size"] = shape.Vocab,
        ["max_position_embeddings"] = 131072,
        ["rms_norm_eps"] = 1e-5,
        ["rope_theta"] = 500000.0,
        ["rope_scaling"] = new Dictionary<string, object>
        {
            ["rope_type"] = "llama3",
            ["factor"] = 32.0,
            ["low_freq_factor"] = 1.0,
            ["high_freq_factor"] = 4.0,
            ["original_max_position_embeddings"] = 8192,
        },
        ["tie_word_embeddings"] = true,
        ["torch_dtype"] = "bfloat16",
        ["bos_token_id"] = 128000,
        ["eos_token_id"] = 128001,
    });

    /// <summary>xorshift64*: fast, repeatable, plenty random for weights whose values do not matter to the bench.</summary>
    private sealed class XorShift(ulong seed)
    {
        // Uniform on [-a, a] has standard deviation a / √3: a = 0.02 · √3.
        private const float HalfWidth = 0.0346410162f;
        private ulong state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

        public void FillBf16(Span<ushort> values)
        {
            int i = 0;
            for (; i + 4 <= values.Length; i += 4)
            {
                ulong bits = Next();
                values[i] = ToBf16((ushort)bits);
                values[i + 1] = ToBf16((ushort)(bits >> 16));
                values[i + 2] = ToBf16((ushort)(bits >> 32));
                values[i + 3] = ToBf16((ushort)(bits >> 48));
            }
            for (; i < values.Length; i++)
            {
                values[i] = ToBf16((ushort)Next());
            }
        }

        private static ushort ToBf16(ushort random)
        {
            float value = (random * (2f / 65536f) - 1f) * HalfWidth;
            return (ushort)(BitConverter.SingleToInt32Bits(value) >>> 16);
        }

        private ulong Next()
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            return state * 0x2545F4914F6CDD1DUL;
        }
    }
}

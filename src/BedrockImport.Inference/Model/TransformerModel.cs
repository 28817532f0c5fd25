using System.Numerics.Tensors;

namespace BedrockImport.Inference.Model;

/// <summary>A Llama-family decoder (llama, mistral, mixtral, qwen2, qwen3) over memory-mapped weights: embeddings,
/// per layer RMSNorm → grouped-query attention with RoPE and a KV cache → RMSNorm → SwiGLU MLP (or routed experts),
/// final RMSNorm and lm_head. Activations are f32; weights stay as stored.</summary>
public sealed class TransformerModel : IDisposable
{
    /// <summary>How many prompt tokens go through the layers together.</summary>
    public const int DefaultPrefillBatch = 32;

    [ThreadStatic]
    private static float[]? scoreBuffer;

    private readonly ModelWeights weights;
    private readonly Layer[] layers;
    private readonly WeightTensor embeddings;
    private readonly float[] finalNorm;
    private readonly Linear lmHead;
    private readonly Rope rope;

    private TransformerModel(ModelConfig config, ModelWeights weights)
    {
        Config = config;
        this.weights = weights;
        rope = new Rope(config);
        embeddings = Expect(weights.Get("model.embed_tokens.weight"), config.VocabSize, config.HiddenSize);
        finalNorm = Vector(weights.Get("model.norm.weight"), config.HiddenSize);
        var head = weights.TryGet("lm_head.weight");
        if (config.TieWordEmbeddings || head is null)
        {
            if (!config.TieWordEmbeddings)
            {
                throw new ModelFormatException("the model has no lm_head.weight and config.json does not tie it to the embeddings");
            }
            head = embeddings;
        }
        LmHeadIsTied = ReferenceEquals(head, embeddings);
        lmHead = new Linear(Expect(head, config.VocabSize, config.HiddenSize), null);
        layers = new Layer[config.LayerCount];
        for (int index = 0; index < layers.Length; index++)
        {
            layers[index] = new Layer(this, index);
        }
    }

    public ModelConfig Config { get; }

    public bool LmHeadIsTied { get; }

    /// <summary>Whether the attention projections carry biases (qwen2 always; llama with attention_bias).</summary>
    public bool HasAttentionBias => layers[0].Query.Bias is not null;

    public long WeightBytes => weights.MappedBytes;

    /// <summary>Null while the mapped weight files are as they were mapped; else what changed (the model must then not
    /// run again: dispose it and load the folder anew).</summary>
    public string? WeightFilesChanged() => weights.Changed();

    /// <summary>The context a memory estimate budgets the KV cache for when the model's own is longer.</summary>
    public const int EstimateContextTokens = 8192;

    /// <summary>What running one sequence of the model needs in memory: every mapped byte resident (each token reads all
    /// weights, so they cannot be paged out without thrashing), the f32 copies of the vectors, the KV cache grown to
    /// <paramref name="contextTokens"/> (default: the model's context, at most <see cref="EstimateContextTokens"/>) and a
    /// prefill batch's activations and logits.</summary>
    public MemoryEstimate EstimateMemory(int? contextTokens = null) => MemoryEstimate.For(Config, WeightBytes, contextTokens);

    /// <summary>The mapped tensors, for the bench's read passes over the same mapping.</summary>
    internal ModelWeights Weights => weights;

    /// <summary>The estimate of <see cref="EstimateMemory(int?)"/> from a folder's config.json and shard sizes alone.</summary>
    public static MemoryEstimate EstimateMemory(ModelConfig config, long weightBytes, int? contextTokens = null) => MemoryEstimate.For(config, weightBytes, contextTokens);

    public static TransformerModel Load(string folder)
    {
        var config = ModelConfig.Load(folder);
        var weights = ModelWeights.Open(folder);
        try
        {
            return new TransformerModel(config, weights);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public KvCache CreateCache() => new(Config.LayerCount, Config.KeyValueHeadCount, Config.HeadDim);

    /// <summary>Runs <paramref name="tokens"/> at the cache's next positions and appends them to it. Returns the
    /// logits of the last token, or of every token (tokens × vocab) when <paramref name="allLogits"/>. The last token's
    /// logits are the cache's own array, overwritten by the next call with the same cache (decoding allocates none);
    /// copy them to keep them.</summary>
    public float[] Forward(ReadOnlySpan<int> tokens, KvCache cache, bool allLogits = false)
    {
        int count = tokens.Length;
        if (count == 0)
        {
            throw new ArgumentException("no tokens to run", nameof(tokens));
        }
        int hidden = Config.HiddenSize;
        var buffers = cache.Buffers;
        var state = ForwardBuffers.AtLeast(ref buffers.State, count * hidden);
        for (int t = 0; t < count; t++)
        {
            int id = tokens[t];
            if ((uint)id >= (uint)Config.VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), "token id " + id + " is outside the vocabulary of " + Config.VocabSize);
            }
            embeddings.ReadRow(id, state.AsSpan(t * hidden, hidden));
        }
        int start = cache.Length;
        cache.Reserve(count);
        foreach (var layer in layers)
        {
            layer.Forward(state, count, start, cache);
        }
        cache.Advance(count);

        int first = allLogits ? 0 : count - 1;
        int rows = count - first;
        var normed = ForwardBuffers.AtLeast(ref buffers.FinalNormed, rows * hidden);
        for (int t = 0; t < rows; t++)
        {
            RmsNorm(state.AsSpan((first + t) * hidden, hidden), finalNorm, Config.RmsNormEps, normed.AsSpan(t * hidden, hidden));
        }
        // Callers read logits.Length as the vocabulary (times the tokens), so the array has exactly that length.
        var logits = rows == 1
            ? (buffers.Logits.Length == Config.VocabSize ? buffers.Logits : buffers.Logits = new float[Config.VocabSize])
            : new float[rows * Config.VocabSize];
        lmHead.Apply(normed, rows, logits);
        return logits;
    }

    /// <summary>Runs a prompt in batches of <paramref name="batchSize"/> tokens and returns the last token's logits.</summary>
    public float[] Prefill(IReadOnlyList<int> prompt, KvCache cache, int batchSize = DefaultPrefillBatch)
    {
        if (prompt.Count == 0)
        {
            throw new ArgumentException("the prompt has no tokens", nameof(prompt));
        }
        var ids = prompt.ToArray();
        float[] logits = Array.Empty<float>();
        for (int offset = 0; offset < ids.Length; offset += batchSize)
        {
            logits = Forward(ids.AsSpan(offset, Math.Min(batchSize, ids.Length - offset)), cache);
        }
        return logits;
    }

    internal static void RmsNorm(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, float eps, Span<float> output)
    {
        float meanSquare = TensorPrimitives.SumOfSquares(input) / input.Length;
        float scale = 1f / MathF.Sqrt(meanSquare + eps);
        TensorPrimitives.Multiply(input, scale, output);
        TensorPrimitives.Multiply(output, weight, output);
    }

    private static WeightTensor Expect(WeightTensor tensor, int rows, int columns)
    {
        if (tensor.Shape.Count != 2 || tensor.Shape[0] != rows || tensor.Shape[1] != columns)
        {
            throw new ModelFormatException(Where(tensor) + " has shape [" + string.Join(", ", tensor.Shape) + "], config.json implies [" + rows + ", " + columns + "]");
        }
        return tensor;
    }

    private static float[] Vector(WeightTensor tensor, int length)
    {
        if (tensor.Shape.Count != 1 || tensor.Shape[0] != length)
        {
            throw new ModelFormatException(Where(tensor) + " has shape [" + string.Join(", ", tensor.Shape) + "], config.json implies [" + length + "]");
        }
        return tensor.ToArray();
    }

    private static string Where(WeightTensor tensor) => tensor.FileName.Length == 0 ? tensor.Name : tensor.FileName + ": tensor " + tensor.Name;

    private Linear Projection(string name, int rows, int columns)
    {
        var weight = Expect(weights.Get(name + ".weight"), rows, columns);
        var bias = weights.TryGet(name + ".bias");
        return new Linear(weight, bias is null ? null : Vector(bias, rows));
    }

    public void Dispose() => weights.Dispose();

    private static void Silu(Span<float> gate, ReadOnlySpan<float> up, Span<float> sigmoid)
    {
        // silu(g) * u = g * sigmoid(g) * u
        sigmoid = sigmoid[..gate.Length];
        TensorPrimitives.Sigmoid(gate, sigmoid);
        TensorPrimitives.Multiply(gate, sigmoid, gate);
        TensorPrimitives.Multiply(gate, up, gate);
    }

    private sealed class Layer
    {
        private readonly TransformerModel model;
        private readonly int index;
        private readonly float[] inputNorm;
        private readonly float[] postAttentionNorm;
        private readonly float[]? queryNorm;
        private readonly float[]? keyNorm;
        private readonly Linear keyProjection;
        private readonly Linear valueProjection;
        private readonly Linear output;
        private readonly Linear? gate;
        private readonly Linear? up;
        private readonly Linear? down;
        private readonly Linear? router;
        private readonly (Linear Gate, Linear Up, Linear Down)[] experts = Array.Empty<(Linear, Linear, Linear)>();

        public Layer(TransformerModel model, int index)
        {
            this.model = model;
            this.index = index;
            var config = model.Config;
            string prefix = "model.layers." + index + ".";
            int hidden = config.HiddenSize;
            int queryWidth = config.HeadCount * config.HeadDim;
            int keyValueWidth = config.KeyValueHeadCount * config.HeadDim;
            inputNorm = Vector(model.weights.Get(prefix + "input_layernorm.weight"), hidden);
            postAttentionNorm = Vector(model.weights.Get(prefix + "post_attention_layernorm.weight"), hidden);
            Query = model.Projection(prefix + "self_attn.q_proj", queryWidth, hidden);
            keyProjection = model.Projection(prefix + "self_attn.k_proj", keyValueWidth, hidden);
            valueProjection = model.Projection(prefix + "self_attn.v_proj", keyValueWidth, hidden);
            output = model.Projection(prefix + "self_attn.o_proj", hidden, queryWidth);
            if (config.HasQueryKeyNorm)
            {
                queryNorm = Vector(model.weights.Get(prefix + "self_attn.q_norm.weight"), config.HeadDim);
                keyNorm = Vector(model.weights.Get(prefix + "self_attn.k_norm.weight"), config.HeadDim);
            }
            if (config.ExpertCount > 0)
            {
                string moe = prefix + "block_sparse_moe.";
                if (!model.weights.Contains(moe + "gate.weight") && model.weights.Contains(prefix + "mlp.experts.gate_up_proj"))
                {
                    throw new ModelNotSupportedException(config.ModelType, "experts fused into mlp.experts.gate_up_proj; one tensor per expert (block_sparse_moe.experts.N.w1/w2/w3) runs");
                }
                router = model.Projection(moe + "gate", config.ExpertCount, hidden);
                experts = new (Linear, Linear, Linear)[config.ExpertCount];
                for (int expert = 0; expert < experts.Length; expert++)
                {
                    string name = moe + "experts." + expert + ".";
                    experts[expert] = (
                        model.Projection(name + "w1", config.IntermediateSize, hidden),
                        model.Projection(name + "w3", config.IntermediateSize, hidden),
                        model.Projection(name + "w2", hidden, config.IntermediateSize));
                }
            }
            else
            {
                gate = model.Projection(prefix + "mlp.gate_proj", config.IntermediateSize, hidden);
                up = model.Projection(prefix + "mlp.up_proj", config.IntermediateSize, hidden);
                down = model.Projection(prefix + "mlp.down_proj", hidden, config.IntermediateSize);
            }
        }

        public Linear Query { get; }

        public void Forward(float[] state, int tokens, int start, KvCache cache)
        {
            var config = model.Config;
            int hidden = config.HiddenSize;
            int headDim = config.HeadDim;
            int heads = config.HeadCount;
            int keyValueHeads = config.KeyValueHeadCount;
            float eps = config.RmsNormEps;

            var buffers = cache.Buffers;
            var normed = ForwardBuffers.AtLeast(ref buffers.Normed, tokens * hidden);
            for (int t = 0; t < tokens; t++)
            {
                RmsNorm(state.AsSpan(t * hidden, hidden), inputNorm, eps, normed.AsSpan(t * hidden, hidden));
            }
            var queries = ForwardBuffers.AtLeast(ref buffers.Queries, tokens * heads * headDim);
            var keys = ForwardBuffers.AtLeast(ref buffers.Keys, tokens * keyValueHeads * headDim);
            var values = ForwardBuffers.AtLeast(ref buffers.Values, tokens * keyValueHeads * headDim);
            Linear.ApplyAll([Query, keyProjection, valueProjection], normed, tokens, [queries, keys, values]);

            Span<float> cos = stackalloc float[headDim / 2];
            Span<float> sin = stackalloc float[headDim / 2];
            for (int t = 0; t < tokens; t++)
            {
                var query = queries.AsSpan(t * heads * headDim, heads * headDim);
                var key = keys.AsSpan(t * keyValueHeads * headDim, keyValueHeads * headDim);
                if (queryNorm is not null && keyNorm is not null)
                {
                    for (int h = 0; h < heads; h++)
                    {
                        var head = query.Slice(h * headDim, headDim);
                        RmsNorm(head, queryNorm, eps, head);
                    }
                    for (int h = 0; h < keyValueHeads; h++)
                    {
                        var head = key.Slice(h * headDim, headDim);
                        RmsNorm(head, keyNorm, eps, head);
                    }
                }
                model.rope.Angles(start + t, cos, sin);
                Rope.Apply(query, headDim, cos, sin);
                Rope.Apply(key, headDim, cos, sin);
                cache.Store(index, start + t, key, values.AsSpan(t * keyValueHeads * headDim, keyValueHeads * headDim));
            }

            var attended = ForwardBuffers.AtLeast(ref buffers.Attended, tokens * heads * headDim);
            Attend(queries, attended, tokens, start, cache);
            var projected = ForwardBuffers.AtLeast(ref buffers.Projected, tokens * hidden);
            output.Apply(attended, tokens, projected);
            var residual = state.AsSpan(0, tokens * hidden);
            TensorPrimitives.Add(residual, projected.AsSpan(0, tokens * hidden), residual);

            for (int t = 0; t < tokens; t++)
            {
                RmsNorm(state.AsSpan(t * hidden, hidden), postAttentionNorm, eps, normed.AsSpan(t * hidden, hidden));
            }
            var mlpOut = router is null ? DenseMlp(normed, tokens, buffers) : RoutedMlp(normed, tokens);
            TensorPrimitives.Add(residual, mlpOut.AsSpan(0, tokens * hidden), residual);
        }

        private void Attend(float[] queries, float[] attended, int tokens, int start, KvCache cache)
        {
            var config = model.Config;
            int headDim = config.HeadDim;
            int heads = config.HeadCount;
            int keyValueHeads = config.KeyValueHeadCount;
            int group = heads / keyValueHeads;
            int? window = config.SlidingWindowOfLayer.Count > index ? config.SlidingWindowOfLayer[index] : null;
            float scale = 1f / MathF.Sqrt(headDim);
            var keyCache = cache.Keys(index);
            var valueCache = cache.Values(index);
            int rowLength = keyValueHeads * headDim;
            void AttendOne(int work)
            {
                int t = work / heads;
                int h = work % heads;
                int position = start + t;
                int first = window is null ? 0 : Math.Max(0, position - window.Value + 1);
                int length = position - first + 1;
                var scores = scoreBuffer is { } existing && existing.Length >= length ? existing : scoreBuffer = new float[Math.Max(length, 256)];
                var query = new ReadOnlySpan<float>(queries, (t * heads + h) * headDim, headDim);
                int headOffset = (h / group) * headDim;
                for (int j = 0; j < length; j++)
                {
                    scores[j] = TensorPrimitives.Dot(query, new ReadOnlySpan<float>(keyCache, (first + j) * rowLength + headOffset, headDim)) * scale;
                }
                var weightsOfPositions = scores.AsSpan(0, length);
                TensorPrimitives.SoftMax(weightsOfPositions, weightsOfPositions);
                var result = attended.AsSpan((t * heads + h) * headDim, headDim);
                result.Clear();
                for (int j = 0; j < length; j++)
                {
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(valueCache, (first + j) * rowLength + headOffset, headDim), weightsOfPositions[j], result, result);
                }
            }
            int work = tokens * heads;
            if (work == 1 || (long)work * (start + tokens) * headDim < 32768)
            {
                for (int i = 0; i < work; i++)
                {
                    AttendOne(i);
                }
            }
            else
            {
                Parallel.For(0, work, AttendOne);
            }
        }

        private float[] DenseMlp(float[] normed, int tokens, ForwardBuffers buffers)
        {
            int width = tokens * model.Config.IntermediateSize;
            var gated = ForwardBuffers.AtLeast(ref buffers.Gated, width);
            var upped = ForwardBuffers.AtLeast(ref buffers.Upped, width);
            Linear.ApplyAll([gate!, up!], normed, tokens, [gated, upped]);
            Silu(gated.AsSpan(0, width), upped.AsSpan(0, width), ForwardBuffers.AtLeast(ref buffers.Sigmoid, width));
            var result = ForwardBuffers.AtLeast(ref buffers.MlpOut, tokens * model.Config.HiddenSize);
            down!.Apply(gated, tokens, result);
            return result;
        }

        /// <summary>Mixtral: softmax over the router's logits, the top k experts, their weights renormalised to sum
        /// to one; the tokens routed to an expert go through it together.</summary>
        private float[] RoutedMlp(float[] normed, int tokens)
        {
            var config = model.Config;
            int hidden = config.HiddenSize;
            int expertCount = config.ExpertCount;
            var routerLogits = new float[tokens * expertCount];
            router!.Apply(normed, tokens, routerLogits);
            var tokensOfExpert = new List<(int Token, float Weight)>[expertCount];
            for (int e = 0; e < expertCount; e++)
            {
                tokensOfExpert[e] = new List<(int, float)>();
            }
            var probabilities = new float[expertCount];
            for (int t = 0; t < tokens; t++)
            {
                TensorPrimitives.SoftMax(routerLogits.AsSpan(t * expertCount, expertCount), probabilities);
                var chosen = Enumerable.Range(0, expertCount).OrderByDescending(e => probabilities[e]).ThenBy(e => e).Take(config.ExpertsPerToken).ToArray();
                float total = chosen.Sum(e => probabilities[e]);
                foreach (int e in chosen)
                {
                    tokensOfExpert[e].Add((t, probabilities[e] / total));
                }
            }
            var result = new float[tokens * hidden];
            int intermediate = config.IntermediateSize;
            for (int e = 0; e < expertCount; e++)
            {
                var routed = tokensOfExpert[e];
                if (routed.Count == 0)
                {
                    continue;
                }
                var input = new float[routed.Count * hidden];
                for (int i = 0; i < routed.Count; i++)
                {
                    normed.AsSpan(routed[i].Token * hidden, hidden).CopyTo(input.AsSpan(i * hidden, hidden));
                }
                var (expertGate, expertUp, expertDown) = experts[e];
                var gated = new float[routed.Count * intermediate];
                var upped = new float[routed.Count * intermediate];
                expertGate.Apply(input, routed.Count, gated);
                expertUp.Apply(input, routed.Count, upped);
                Silu(gated, upped, new float[gated.Length]);
                var expertOut = new float[routed.Count * hidden];
                expertDown.Apply(gated, routed.Count, expertOut);
                for (int i = 0; i < routed.Count; i++)
                {
                    var destination = result.AsSpan(routed[i].Token * hidden, hidden);
                    TensorPrimitives.MultiplyAdd(expertOut.AsSpan(i * hidden, hidden), routed[i].Weight, destination, destination);
                }
            }
            return result;
        }
    }
}

/// <summary>Bytes a model needs in memory while it generates (see <see cref="TransformerModel.EstimateMemory(int?)"/>).</summary>
public sealed record MemoryEstimate(long WeightBytes, long VectorBytes, long KvCacheBytes, int ContextTokens, long ActivationBytes)
{
    public long TotalBytes => WeightBytes + VectorBytes + KvCacheBytes + ActivationBytes;

    internal static MemoryEstimate For(ModelConfig config, long weightBytes, int? contextTokens)
    {
        int context = contextTokens ?? (config.MaxPositionEmbeddings > 0
            ? Math.Min(config.MaxPositionEmbeddings, TransformerModel.EstimateContextTokens)
            : TransformerModel.EstimateContextTokens);
        long hidden = config.HiddenSize;
        long keyValue = (long)config.KeyValueHeadCount * config.HeadDim;
        long query = (long)config.HeadCount * config.HeadDim;
        // Norms (2 per layer, q/k norms, the final one) and the attention biases, converted to f32 arrays at load.
        long vectors = 4L * (config.LayerCount * (2 * hidden + query + 2 * keyValue + (config.HasQueryKeyNorm ? 2L * config.HeadDim : 0)) + hidden);
        // The KV cache starts at 64 positions and doubles: its capacity is the first such size that holds the context.
        long positions = 64;
        while (positions < context)
        {
            positions *= 2;
        }
        long kvCache = 2L * 4 * config.LayerCount * keyValue * positions;
        long batch = TransformerModel.DefaultPrefillBatch;
        long intermediate = config.IntermediateSize;
        long activations = 4L * (batch * (4 * hidden + 2 * query + 2 * keyValue + 3 * intermediate + config.ExpertCount)
            + (long)config.VocabSize + positions + 2 * Math.Max(hidden, intermediate));
        return new MemoryEstimate(weightBytes, vectors, kvCache, context, activations);
    }
}

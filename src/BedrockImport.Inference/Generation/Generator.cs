using System.Diagnostics;
using System.Numerics.Tensors;
using BedrockImport.Inference.Model;

namespace BedrockImport.Inference.Generation;

/// <summary>How to pick tokens. Temperature 0 is greedy (ties go to the lowest id, as argmax does); otherwise
/// logits / temperature, then top_k, then top_p (transformers' warper order), sampled from a seeded generator so a
/// run repeats.</summary>
public sealed class GenerationOptions
{
    public int MaxTokens { get; init; } = 256;
    public float Temperature { get; init; }
    public float TopP { get; init; } = 1f;
    public int TopK { get; init; }
    public int Seed { get; init; }

    /// <summary>Stop ids; null takes the model's (generation_config.json's eos_token_id, a list allowed).</summary>
    public IReadOnlyList<int>? StopTokenIds { get; init; }

    /// <summary>Called with each generated id as soon as it is chosen (a stop id included).</summary>
    public Action<int>? OnToken { get; init; }

    public int PrefillBatch { get; init; } = TransformerModel.DefaultPrefillBatch;
}

public enum StopReason
{
    /// <summary>A stop (eos) id was generated.</summary>
    Stop,

    /// <summary>MaxTokens ids were generated.</summary>
    Length,
}

public sealed class GenerationResult
{
    /// <summary>The generated ids, the stop id included when generation stopped on one.</summary>
    public required IReadOnlyList<int> OutputIds { get; init; }
    public required int PromptTokenCount { get; init; }
    public int OutputTokenCount => OutputIds.Count;
    public required StopReason StopReason { get; init; }
    public required TimeSpan PrefillTime { get; init; }
    public required TimeSpan DecodeTime { get; init; }

    /// <summary>Generated tokens per second after the first (each needs one decode step).</summary>
    public double DecodeTokensPerSecond => OutputIds.Count > 1 && DecodeTime > TimeSpan.Zero ? (OutputIds.Count - 1) / DecodeTime.TotalSeconds : 0;
}

public static class Generator
{
    public static GenerationResult Generate(TransformerModel model, IReadOnlyList<int> promptIds, GenerationOptions options)
    {
        if (promptIds.Count == 0)
        {
            throw new ArgumentException("the prompt has no tokens", nameof(promptIds));
        }
        if (options.MaxTokens < 0 || options.Temperature < 0 || options.TopP <= 0 || options.TopP > 1 || options.TopK < 0)
        {
            throw new ArgumentException("max tokens ≥ 0, temperature ≥ 0, 0 < top_p ≤ 1 and top_k ≥ 0 are needed", nameof(options));
        }
        var stopIds = new HashSet<int>(options.StopTokenIds ?? model.Config.EosTokenIds);
        var random = new Random(options.Seed);
        var output = new List<int>();
        var cache = model.CreateCache();
        var clock = Stopwatch.StartNew();
        TimeSpan prefill = TimeSpan.Zero;
        var stop = StopReason.Length;
        if (options.MaxTokens > 0)
        {
            var logits = model.Prefill(promptIds, cache, options.PrefillBatch);
            prefill = clock.Elapsed;
            while (true)
            {
                int next = Choose(logits, options, random);
                output.Add(next);
                options.OnToken?.Invoke(next);
                if (stopIds.Contains(next))
                {
                    stop = StopReason.Stop;
                    break;
                }
                if (output.Count >= options.MaxTokens)
                {
                    break;
                }
                logits = model.Forward(new[] { next }, cache);
            }
        }
        return new GenerationResult
        {
            OutputIds = output,
            PromptTokenCount = promptIds.Count,
            StopReason = stop,
            PrefillTime = prefill,
            DecodeTime = clock.Elapsed - prefill,
        };
    }

    /// <summary>Picks the next id from one token's logits.</summary>
    public static int Choose(float[] logits, GenerationOptions options, Random random)
    {
        if (options.Temperature == 0)
        {
            return TensorPrimitives.IndexOfMax(logits);
        }
        int vocab = logits.Length;
        var scaled = new float[vocab];
        TensorPrimitives.Divide(logits, options.Temperature, scaled);
        if (options.TopK == 0 && options.TopP >= 1f)
        {
            // Plain temperature sampling needs no order: draw over the ids as they stand.
            TensorPrimitives.SoftMax(scaled, scaled);
            return Draw(Enumerable.Range(0, vocab).ToArray(), scaled, vocab, random);
        }
        var order = options.TopK > 0 ? TopIds(scaled, Math.Min(options.TopK, vocab)) : SortedIds(scaled);
        int kept = order.Length;
        var probabilities = new float[kept];
        for (int i = 0; i < kept; i++)
        {
            probabilities[i] = scaled[order[i]];
        }
        TensorPrimitives.SoftMax(probabilities, probabilities);
        if (options.TopP < 1f)
        {
            // The smallest head of the sorted list whose mass reaches top_p (at least one token), renormalised.
            float mass = 0;
            int count = 0;
            while (count < kept)
            {
                mass += probabilities[count++];
                if (mass >= options.TopP)
                {
                    break;
                }
            }
            kept = count;
            TensorPrimitives.Divide(probabilities.AsSpan(0, kept), mass, probabilities.AsSpan(0, kept));
        }
        return Draw(order, probabilities, kept, random);
    }

    private static int Draw(int[] ids, float[] probabilities, int count, Random random)
    {
        double draw = random.NextDouble();
        double cumulative = 0;
        for (int i = 0; i < count; i++)
        {
            cumulative += probabilities[i];
            if (draw < cumulative)
            {
                return ids[i];
            }
        }
        return ids[count - 1];
    }

    /// <summary>Descending by logit, the lower id first on ties, so the kept set does not depend on a sort's stability.</summary>
    private static int Compare(float[] scores, int a, int b) => scores[b] != scores[a] ? scores[b].CompareTo(scores[a]) : a.CompareTo(b);

    private static int[] SortedIds(float[] scores)
    {
        var order = Enumerable.Range(0, scores.Length).ToArray();
        Array.Sort(order, (a, b) => Compare(scores, a, b));
        return order;
    }

    /// <summary>The k best ids in order, through a heap of k (a 128K vocabulary is not sorted for top_k 50).</summary>
    private static int[] TopIds(float[] scores, int k)
    {
        // The heap's root is the worst kept id: the comparer orders "worse" first.
        var heap = new PriorityQueue<int, int>(k + 1, Comparer<int>.Create((a, b) => Compare(scores, b, a)));
        for (int id = 0; id < scores.Length; id++)
        {
            if (heap.Count < k)
            {
                heap.Enqueue(id, id);
            }
            else if (Compare(scores, id, heap.Peek()) < 0)
            {
                heap.EnqueueDequeue(id, id);
            }
        }
        var result = new int[heap.Count];
        for (int i = result.Length - 1; i >= 0; i--)
        {
            result[i] = heap.Dequeue();
        }
        return result;
    }
}

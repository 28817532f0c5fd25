using System.Diagnostics;
using BedrockImport.Inference.Model;

namespace InferenceBench;

/// <summary>Where a decode step goes: each kind of matrix of layer 0 and lm_head applied to one token, timed with a
/// stopwatch, against a read pass over the same bytes (so a kernel slower than reading its weights shows).</summary>
internal static unsafe class Profile
{
    public static Dictionary<string, object?> Run(string folder, int repeats)
    {
        using var model = TransformerModel.Load(folder);
        var names = new[] { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj" }
            .Select(name => "model.layers.0." + name + ".weight").Append("model.embed_tokens.weight");
        var result = new Dictionary<string, object?>();
        foreach (var name in names)
        {
            var weight = model.Weights.Get(name);
            var linear = new Linear(weight, null);
            var input = new float[linear.InFeatures];
            for (int i = 0; i < input.Length; i++)
            {
                input[i] = (i % 7) * 0.1f - 0.3f;
            }
            var output = new float[linear.OutFeatures];
            for (int i = 0; i < 3; i++)
            {
                linear.Apply(input, 1, output);
            }
            var apply = new List<double>();
            var read = new List<double>();
            for (int r = 0; r < repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                linear.Apply(input, 1, output);
                apply.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                Sum((byte*)weight.RowAddress(0), weight.ByteLength);
                read.Add(clock.Elapsed.TotalMilliseconds);
            }
            apply.Sort();
            read.Sort();
            result[name] = new { bytes = weight.ByteLength, applyMsMedian = apply[apply.Count / 2], readMsMedian = read[read.Count / 2], applyMsMin = apply[0], readMsMin = read[0] };
        }
        return result;
    }

    private static ulong Sum(byte* start, long length)
    {
        ulong total = 0;
        Parallel.For(0, (int)((length + (1 << 20) - 1) >> 20), () => 0UL, (chunk, _, local) =>
        {
            long first = (long)chunk << 20;
            long count = Math.Min(1 << 20, length - first);
            var sum = System.Runtime.Intrinsics.Vector256<ulong>.Zero;
            for (long i = 0; i + 32 <= count; i += 32)
            {
                sum += System.Runtime.Intrinsics.Vector256.Load((ulong*)(start + first + i));
            }
            return local + System.Runtime.Intrinsics.Vector256.Sum(sum);
        }, local => Interlocked.Add(ref total, local));
        return total;
    }
}

using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BedrockImport.Inference.Model;

/// <summary>The inner loops of the matmuls. Decode is bound by reading the weights, so a bf16 row is widened to f32 in
/// registers and multiplied at once (no buffer); a prefill batch converts each row once and dots it with four tokens
/// per pass, so the row is read from cache a quarter as often.</summary>
internal static unsafe class Kernels
{
    public static bool Vectorized => Vector256.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> addend) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, addend) : a * b + addend;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Lower, Vector256<float> Upper) WidenBf16(Vector256<ushort> packed)
    {
        var (lower, upper) = Vector256.Widen(packed);
        return (Vector256.ShiftLeft(lower, 16).AsSingle(), Vector256.ShiftLeft(upper, 16).AsSingle());
    }

    /// <summary>Σ bf16(weights[i]) · x[i] over <paramref name="length"/> elements.</summary>
    public static float DotBf16(ushort* weights, float* x, int length)
    {
        var sum0 = Vector256<float>.Zero;
        var sum1 = Vector256<float>.Zero;
        var sum2 = Vector256<float>.Zero;
        var sum3 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 32 <= length; i += 32)
        {
            var (a, b) = WidenBf16(Vector256.Load(weights + i));
            var (c, d) = WidenBf16(Vector256.Load(weights + i + 16));
            sum0 = MultiplyAdd(a, Vector256.Load(x + i), sum0);
            sum1 = MultiplyAdd(b, Vector256.Load(x + i + 8), sum1);
            sum2 = MultiplyAdd(c, Vector256.Load(x + i + 16), sum2);
            sum3 = MultiplyAdd(d, Vector256.Load(x + i + 24), sum3);
        }
        for (; i + 16 <= length; i += 16)
        {
            var (a, b) = WidenBf16(Vector256.Load(weights + i));
            sum0 = MultiplyAdd(a, Vector256.Load(x + i), sum0);
            sum1 = MultiplyAdd(b, Vector256.Load(x + i + 8), sum1);
        }
        float total = Vector256.Sum((sum0 + sum1) + (sum2 + sum3));
        for (; i < length; i++)
        {
            total += BitConverter.Int32BitsToSingle(weights[i] << 16) * x[i];
        }
        return total;
    }

    /// <summary>The dot products of one f32 row with four inputs (each <paramref name="length"/> long, <paramref name="stride"/> apart).</summary>
    public static void Dot4(float* row, float* x, int stride, int length, Span<float> results)
    {
        var sum0 = Vector256<float>.Zero;
        var sum1 = Vector256<float>.Zero;
        var sum2 = Vector256<float>.Zero;
        var sum3 = Vector256<float>.Zero;
        float* x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride;
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            var w = Vector256.Load(row + i);
            sum0 = MultiplyAdd(w, Vector256.Load(x + i), sum0);
            sum1 = MultiplyAdd(w, Vector256.Load(x1 + i), sum1);
            sum2 = MultiplyAdd(w, Vector256.Load(x2 + i), sum2);
            sum3 = MultiplyAdd(w, Vector256.Load(x3 + i), sum3);
        }
        float r0 = Vector256.Sum(sum0), r1 = Vector256.Sum(sum1), r2 = Vector256.Sum(sum2), r3 = Vector256.Sum(sum3);
        for (; i < length; i++)
        {
            r0 += row[i] * x[i];
            r1 += row[i] * x1[i];
            r2 += row[i] * x2[i];
            r3 += row[i] * x3[i];
        }
        results[0] = r0;
        results[1] = r1;
        results[2] = r2;
        results[3] = r3;
    }

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);
}

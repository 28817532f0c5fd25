using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BedrockImport.Inference.Model;

/// <summary>The inner loops of the matmuls. Decode is bound by reading the weights, so a bf16 row is widened to f32 in
/// registers and multiplied at once (no buffer); a prefill batch converts each row once and dots two rows with four
/// tokens per pass, so each loaded vector feeds several multiply-adds.</summary>
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Lower, Vector512<float> Upper) WidenBf16(Vector512<ushort> packed)
    {
        var (lower, upper) = Vector512.Widen(packed);
        return (Vector512.ShiftLeft(lower, 16).AsSingle(), Vector512.ShiftLeft(upper, 16).AsSingle());
    }

    /// <summary>Σ bf16(weights[i]) · x[i] over <paramref name="length"/> elements.</summary>
    public static float DotBf16(ushort* weights, float* x, int length)
    {
        if (Vector512.IsHardwareAccelerated && length >= 64)
        {
            return DotBf16Wide(weights, x, length);
        }
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

    /// <summary><see cref="DotBf16"/> with 512-bit vectors: half the instructions per weight byte, so a core keeps up
    /// with memory with cycles to spare for the other threads of a shared machine.</summary>
    private static float DotBf16Wide(ushort* weights, float* x, int length)
    {
        var sum0 = Vector512<float>.Zero;
        var sum1 = Vector512<float>.Zero;
        var sum2 = Vector512<float>.Zero;
        var sum3 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 64 <= length; i += 64)
        {
            var (a, b) = WidenBf16(Vector512.Load(weights + i));
            var (c, d) = WidenBf16(Vector512.Load(weights + i + 32));
            sum0 = Vector512.FusedMultiplyAdd(a, Vector512.Load(x + i), sum0);
            sum1 = Vector512.FusedMultiplyAdd(b, Vector512.Load(x + i + 16), sum1);
            sum2 = Vector512.FusedMultiplyAdd(c, Vector512.Load(x + i + 32), sum2);
            sum3 = Vector512.FusedMultiplyAdd(d, Vector512.Load(x + i + 48), sum3);
        }
        for (; i + 32 <= length; i += 32)
        {
            var (a, b) = WidenBf16(Vector512.Load(weights + i));
            sum0 = Vector512.FusedMultiplyAdd(a, Vector512.Load(x + i), sum0);
            sum1 = Vector512.FusedMultiplyAdd(b, Vector512.Load(x + i + 16), sum1);
        }
        float total = Vector512.Sum((sum0 + sum1) + (sum2 + sum3));
        for (; i < length; i++)
        {
            total += BitConverter.Int32BitsToSingle(weights[i] << 16) * x[i];
        }
        return total;
    }

    /// <summary>Whether one-token matmuls take their input in pair order (<see cref="ToPairOrder"/>) for
    /// <see cref="DotBf16Paired"/>.</summary>
    public static bool DecodesPaired => Vector512.IsHardwareAccelerated;

    /// <summary>How far ahead of the loads <see cref="DotBf16Paired"/> asks for weights (8 KiB; past a row's end that is
    /// the next rows, which lie right after it). The hardware prefetcher alone kept a decode sweep of B8's model at
    /// about 1.35× the time of a plain read pass over the same bytes; with this, about 1.0–1.1×.</summary>
    private const int PrefetchElements = 4096;

    /// <summary>Reorders an input for <see cref="DotBf16Paired"/>: each whole block of 32 becomes its 16 even elements
    /// then its 16 odd ones; the elements after the last whole block stay where they are.</summary>
    public static void ToPairOrder(ReadOnlySpan<float> x, Span<float> ordered)
    {
        int whole = x.Length / 32 * 32;
        for (int block = 0; block < whole; block += 32)
        {
            for (int j = 0; j < 16; j++)
            {
                ordered[block + j] = x[block + 2 * j];
                ordered[block + 16 + j] = x[block + 2 * j + 1];
            }
        }
        x[whole..].CopyTo(ordered[whole..]);
    }

    /// <summary>Σ bf16(weights[i]) · x[i] with x in pair order. Read as 32-bit lanes, the weights hold element 2j in
    /// the low half and 2j+1 in the high half: a shift gives the even element as an f32 and a mask the odd one, so no
    /// widening shuffles are needed and a core spends fewer instructions per weight byte than the memory takes to
    /// deliver it.</summary>
    public static float DotBf16Paired(ushort* weights, float* ordered, int length)
    {
        var high = Vector512.Create(0xFFFF0000u);
        var sum0 = Vector512<float>.Zero;
        var sum1 = Vector512<float>.Zero;
        var sum2 = Vector512<float>.Zero;
        var sum3 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 64 <= length; i += 64)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(weights + i + PrefetchElements);
                Sse.Prefetch0(weights + i + PrefetchElements + 32);
            }
            var first = Vector512.Load((uint*)(weights + i));
            var second = Vector512.Load((uint*)(weights + i + 32));
            sum0 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(first, 16).AsSingle(), Vector512.Load(ordered + i), sum0);
            sum1 = Vector512.FusedMultiplyAdd((first & high).AsSingle(), Vector512.Load(ordered + i + 16), sum1);
            sum2 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(second, 16).AsSingle(), Vector512.Load(ordered + i + 32), sum2);
            sum3 = Vector512.FusedMultiplyAdd((second & high).AsSingle(), Vector512.Load(ordered + i + 48), sum3);
        }
        for (; i + 32 <= length; i += 32)
        {
            var pairs = Vector512.Load((uint*)(weights + i));
            sum0 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(pairs, 16).AsSingle(), Vector512.Load(ordered + i), sum0);
            sum1 = Vector512.FusedMultiplyAdd((pairs & high).AsSingle(), Vector512.Load(ordered + i + 16), sum1);
        }
        float total = Vector512.Sum((sum0 + sum1) + (sum2 + sum3));
        for (; i < length; i++)
        {
            total += BitConverter.Int32BitsToSingle(weights[i] << 16) * ordered[i];
        }
        return total;
    }

    /// <summary>Two f32 rows (<paramref name="length"/> apart in <paramref name="rows"/>) dotted with four inputs:
    /// results[0..3] for the first row, results[4..7] for the second. Six loads feed eight multiply-adds.</summary>
    public static void Dot2x4(float* rows, float* x, int stride, int length, Span<float> results)
    {
        if (Vector512.IsHardwareAccelerated && length >= 16)
        {
            Dot2x4Wide(rows, x, stride, length, results);
            return;
        }
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        var a2 = Vector256<float>.Zero;
        var a3 = Vector256<float>.Zero;
        var b0 = Vector256<float>.Zero;
        var b1 = Vector256<float>.Zero;
        var b2 = Vector256<float>.Zero;
        var b3 = Vector256<float>.Zero;
        float* second = rows + length;
        float* x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride;
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            var w = Vector256.Load(rows + i);
            var v = Vector256.Load(second + i);
            var t0 = Vector256.Load(x + i);
            var t1 = Vector256.Load(x1 + i);
            var t2 = Vector256.Load(x2 + i);
            var t3 = Vector256.Load(x3 + i);
            a0 = MultiplyAdd(w, t0, a0);
            a1 = MultiplyAdd(w, t1, a1);
            a2 = MultiplyAdd(w, t2, a2);
            a3 = MultiplyAdd(w, t3, a3);
            b0 = MultiplyAdd(v, t0, b0);
            b1 = MultiplyAdd(v, t1, b1);
            b2 = MultiplyAdd(v, t2, b2);
            b3 = MultiplyAdd(v, t3, b3);
        }
        results[0] = Vector256.Sum(a0);
        results[1] = Vector256.Sum(a1);
        results[2] = Vector256.Sum(a2);
        results[3] = Vector256.Sum(a3);
        results[4] = Vector256.Sum(b0);
        results[5] = Vector256.Sum(b1);
        results[6] = Vector256.Sum(b2);
        results[7] = Vector256.Sum(b3);
        Dot2x4Tail(rows, x, stride, i, length, results);
    }

    /// <summary><see cref="Dot2x4"/> with 512-bit vectors (prefill is bound by multiply-adds, and this doubles them
    /// per instruction).</summary>
    private static void Dot2x4Wide(float* rows, float* x, int stride, int length, Span<float> results)
    {
        var a0 = Vector512<float>.Zero;
        var a1 = Vector512<float>.Zero;
        var a2 = Vector512<float>.Zero;
        var a3 = Vector512<float>.Zero;
        var b0 = Vector512<float>.Zero;
        var b1 = Vector512<float>.Zero;
        var b2 = Vector512<float>.Zero;
        var b3 = Vector512<float>.Zero;
        float* second = rows + length;
        float* x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride;
        int i = 0;
        for (; i + 16 <= length; i += 16)
        {
            var w = Vector512.Load(rows + i);
            var v = Vector512.Load(second + i);
            var t0 = Vector512.Load(x + i);
            var t1 = Vector512.Load(x1 + i);
            var t2 = Vector512.Load(x2 + i);
            var t3 = Vector512.Load(x3 + i);
            a0 = Vector512.FusedMultiplyAdd(w, t0, a0);
            a1 = Vector512.FusedMultiplyAdd(w, t1, a1);
            a2 = Vector512.FusedMultiplyAdd(w, t2, a2);
            a3 = Vector512.FusedMultiplyAdd(w, t3, a3);
            b0 = Vector512.FusedMultiplyAdd(v, t0, b0);
            b1 = Vector512.FusedMultiplyAdd(v, t1, b1);
            b2 = Vector512.FusedMultiplyAdd(v, t2, b2);
            b3 = Vector512.FusedMultiplyAdd(v, t3, b3);
        }
        results[0] = Vector512.Sum(a0);
        results[1] = Vector512.Sum(a1);
        results[2] = Vector512.Sum(a2);
        results[3] = Vector512.Sum(a3);
        results[4] = Vector512.Sum(b0);
        results[5] = Vector512.Sum(b1);
        results[6] = Vector512.Sum(b2);
        results[7] = Vector512.Sum(b3);
        Dot2x4Tail(rows, x, stride, i, length, results);
    }

    /// <summary>The elements of <see cref="Dot2x4"/> from <paramref name="start"/> on that fill no whole vector.</summary>
    private static void Dot2x4Tail(float* rows, float* x, int stride, int start, int length, Span<float> results)
    {
        float* second = rows + length;
        float* x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride;
        for (int i = start; i < length; i++)
        {
            results[0] += rows[i] * x[i];
            results[1] += rows[i] * x1[i];
            results[2] += rows[i] * x2[i];
            results[3] += rows[i] * x3[i];
            results[4] += second[i] * x[i];
            results[5] += second[i] * x1[i];
            results[6] += second[i] * x2[i];
            results[7] += second[i] * x3[i];
        }
    }

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);
}

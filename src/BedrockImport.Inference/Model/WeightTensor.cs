using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BedrockImport.Inference.Model;

/// <summary>Element types whose tensors are read in place and computed in f32.</summary>
public enum WeightDtype
{
    F32,
    F16,
    BF16,
}

/// <summary>One tensor of a memory-mapped safetensors file. The bytes stay in the mapping: rows are converted to f32
/// one at a time into the caller's buffer, so a bf16 model never has an f32 copy.</summary>
public sealed unsafe class WeightTensor
{
    private readonly byte* data;

    internal WeightTensor(string name, WeightDtype dtype, long[] shape, byte* data, long byteLength, string fileName = "")
    {
        Name = name;
        FileName = fileName;
        Dtype = dtype;
        Shape = shape;
        this.data = data;
        ByteLength = byteLength;
        ElementCount = 1;
        foreach (var dimension in shape)
        {
            ElementCount *= dimension;
        }
    }

    public string Name { get; }

    /// <summary>The name of the safetensors file that holds the tensor (for errors).</summary>
    public string FileName { get; }

    public WeightDtype Dtype { get; }

    public IReadOnlyList<long> Shape { get; }

    public long ElementCount { get; }

    public long ByteLength { get; }

    /// <summary>Rows of a 2-D tensor (out features of a linear layer); the element count of a 1-D one is one row.</summary>
    public int Rows => Shape.Count == 2 ? checked((int)Shape[0]) : 1;

    /// <summary>Columns of a 2-D tensor (in features of a linear layer), or the length of a 1-D one.</summary>
    public int Columns => Shape.Count == 2 ? checked((int)Shape[1]) : checked((int)ElementCount);

    public int ElementSize => Dtype == WeightDtype.F32 ? 4 : 2;

    /// <summary>Converts row <paramref name="row"/> to f32 into <paramref name="destination"/> (length Columns).</summary>
    public void ReadRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row));
        }
        int columns = Columns;
        if (destination.Length < columns)
        {
            throw new ArgumentException("destination is shorter than a row", nameof(destination));
        }
        Convert((long)row * columns, columns, destination);
    }

    /// <summary>The whole tensor in f32; for the small ones only (norm weights, biases).</summary>
    public float[] ToArray()
    {
        var result = new float[checked((int)ElementCount)];
        Convert(0, result.Length, result);
        return result;
    }

    /// <summary>The f32 row itself when the tensor is stored as f32 (no conversion needed), else empty.</summary>
    internal ReadOnlySpan<float> F32Row(int row)
    {
        if (Dtype != WeightDtype.F32)
        {
            return ReadOnlySpan<float>.Empty;
        }
        return new ReadOnlySpan<float>(data + (long)row * Columns * 4, Columns);
    }

    /// <summary>Address of a row's first byte, for the kernels.</summary>
    internal byte* RowAddress(int row) => data + (long)row * Columns * ElementSize;

    private void Convert(long firstElement, int count, Span<float> destination)
    {
        byte* start = data + firstElement * ElementSize;
        switch (Dtype)
        {
            case WeightDtype.F32:
                new ReadOnlySpan<float>(start, count).CopyTo(destination);
                break;
            case WeightDtype.F16:
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(start, count), destination);
                break;
            default:
                Bf16ToSingle(new ReadOnlySpan<ushort>(start, count), destination);
                break;
        }
    }

    /// <summary>bf16 is the top half of an f32: widen each 16-bit value and shift it into the high bits.</summary>
    internal static void Bf16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        int i = 0;
        ref ushort sourceStart = ref MemoryMarshal.GetReference(source);
        ref float destinationStart = ref MemoryMarshal.GetReference(destination);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<ushort>.Count <= source.Length; i += Vector256<ushort>.Count)
            {
                var packed = Vector256.LoadUnsafe(ref sourceStart, (nuint)i);
                var (lower, upper) = Vector256.Widen(packed);
                Vector256.ShiftLeft(lower, 16).AsSingle().StoreUnsafe(ref destinationStart, (nuint)i);
                Vector256.ShiftLeft(upper, 16).AsSingle().StoreUnsafe(ref destinationStart, (nuint)(i + Vector256<uint>.Count));
            }
        }
        for (; i < source.Length; i++)
        {
            Unsafe.Add(ref destinationStart, i) = BitConverter.Int32BitsToSingle(Unsafe.Add(ref sourceStart, i) << 16);
        }
    }

    public override string ToString() => Name + " " + Dtype + " [" + string.Join(", ", Shape) + "]";
}

namespace BedrockImport.Inference.Model;

/// <summary>Keys (after RoPE) and values of every position seen so far, per layer, position-major
/// (position, key/value head, head_dim). Grows by doubling.</summary>
public sealed class KvCache
{
    private readonly int rowLength;
    private float[][] keys;
    private float[][] values;

    internal KvCache(int layers, int keyValueHeads, int headDim, int initialPositions = 64)
    {
        rowLength = keyValueHeads * headDim;
        keys = new float[layers][];
        values = new float[layers][];
        for (int layer = 0; layer < layers; layer++)
        {
            keys[layer] = new float[initialPositions * rowLength];
            values[layer] = new float[initialPositions * rowLength];
        }
    }

    /// <summary>The activations of a forward pass over this sequence, kept between steps so decoding allocates none.</summary>
    internal ForwardBuffers Buffers { get; } = new();

    /// <summary>Positions stored (the next token's position).</summary>
    public int Length { get; private set; }

    internal float[] Keys(int layer) => keys[layer];

    internal float[] Values(int layer) => values[layer];

    /// <summary>Makes room for <paramref name="count"/> more positions in every layer.</summary>
    internal void Reserve(int count)
    {
        int needed = (Length + count) * rowLength;
        if (needed <= keys[0].Length)
        {
            return;
        }
        int capacity = Math.Max(needed, keys[0].Length * 2);
        for (int layer = 0; layer < keys.Length; layer++)
        {
            Array.Resize(ref keys[layer], capacity);
            Array.Resize(ref values[layer], capacity);
        }
    }

    internal void Store(int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        key.CopyTo(keys[layer].AsSpan(position * rowLength, rowLength));
        value.CopyTo(values[layer].AsSpan(position * rowLength, rowLength));
    }

    internal void Advance(int count) => Length += count;

    /// <summary>Forgets every position from <paramref name="length"/> on (to re-run a suffix).</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(length));
        }
        Length = length;
    }
}

/// <summary>Scratch arrays of a forward pass, grown on demand and reused (at least the length asked for).</summary>
internal sealed class ForwardBuffers
{
    public float[] State = Array.Empty<float>();
    public float[] Normed = Array.Empty<float>();
    public float[] Queries = Array.Empty<float>();
    public float[] Keys = Array.Empty<float>();
    public float[] Values = Array.Empty<float>();
    public float[] Attended = Array.Empty<float>();
    public float[] Projected = Array.Empty<float>();
    public float[] Gated = Array.Empty<float>();
    public float[] Upped = Array.Empty<float>();
    public float[] Sigmoid = Array.Empty<float>();
    public float[] MlpOut = Array.Empty<float>();
    public float[] FinalNormed = Array.Empty<float>();
    public float[] Logits = Array.Empty<float>();

    public static float[] AtLeast(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
        return buffer;
    }
}

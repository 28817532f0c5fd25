using System.Buffers;
using System.Runtime.InteropServices;

namespace BedrockImport.Inference.Model;

/// <summary>y = x Wᵀ + b for a weight of shape [out, in] read in place. Output rows are split across cores; each row
/// is converted to f32 once per call and dotted with every token of the batch, so a prefill batch reads the weights
/// once. Prefill dots two rows with four tokens per pass.</summary>
public sealed unsafe class Linear
{
    [ThreadStatic]
    private static float[]? rowBuffer;

    public Linear(WeightTensor weight, float[]? bias)
    {
        if (weight.Shape.Count != 2)
        {
            throw new ModelFormatException(weight.Name + " is not a matrix");
        }
        if (bias is not null && bias.Length != weight.Rows)
        {
            throw new ModelFormatException(weight.Name + ": bias length " + bias.Length + " does not match " + weight.Rows + " rows");
        }
        Weight = weight;
        Bias = bias;
    }

    public WeightTensor Weight { get; }

    public float[]? Bias { get; }

    public int InFeatures => Weight.Columns;

    public int OutFeatures => Weight.Rows;

    /// <summary>Weight bytes one work item of a decode step reads: small enough that a core preempted on a shared
    /// machine holds back little of the step, large enough to stream.</summary>
    private const int DecodeChunkBytes = 128 * 1024;

    private bool DecodesInPlace => Weight.Dtype == WeightDtype.BF16 && Kernels.Vectorized;

    private int DecodeChunkRows => Math.Max(8, DecodeChunkBytes / (InFeatures * 2));

    private int DecodeChunks => (OutFeatures + DecodeChunkRows - 1) / DecodeChunkRows;

    /// <summary>Several linears of the same input (q, k and v; gate and up). One token of bf16 weights goes as one
    /// parallel loop over all their rows, so a decode step waits for its cores once instead of once per matrix;
    /// otherwise each is applied in turn.</summary>
    public static void ApplyAll(ReadOnlySpan<Linear> linears, float[] input, int tokens, ReadOnlySpan<float[]> outputs)
    {
        if (linears.Length != outputs.Length)
        {
            throw new ArgumentException("one output per linear is needed");
        }
        bool together = tokens == 1 && linears.Length <= 4;
        foreach (var linear in linears)
        {
            together &= linear.DecodesInPlace && linear.InFeatures == linears[0].InFeatures;
        }
        if (!together)
        {
            for (int i = 0; i < linears.Length; i++)
            {
                linears[i].Apply(input, tokens, outputs[i]);
            }
            return;
        }
        var ordered = DecodeInput(input, linears[0].InFeatures);
        try
        {
            var group = new DecodeGroup(linears, outputs, ordered ?? input);
            Parallel.For(0, group.Chunks, group.Run);
        }
        finally
        {
            if (ordered is not null)
            {
                ArrayPool<float>.Shared.Return(ordered);
            }
        }
    }

    /// <summary>The one token's input in pair order, rented (return it), when the kernel wants that order; else null.</summary>
    private static float[]? DecodeInput(float[] input, int columns)
    {
        if (!Kernels.DecodesPaired)
        {
            return null;
        }
        var ordered = ArrayPool<float>.Shared.Rent(columns);
        Kernels.ToPairOrder(input.AsSpan(0, columns), ordered);
        return ordered;
    }

    /// <summary>The rows of up to four linears numbered as one range of chunks.</summary>
    private sealed class DecodeGroup
    {
        private readonly Linear[] linears;
        private readonly float[][] outputs;
        private readonly float[] input;
        private readonly int[] firstChunk;

        public DecodeGroup(ReadOnlySpan<Linear> linears, ReadOnlySpan<float[]> outputs, float[] input)
        {
            this.linears = linears.ToArray();
            this.outputs = outputs.ToArray();
            this.input = input;
            firstChunk = new int[linears.Length + 1];
            for (int i = 0; i < linears.Length; i++)
            {
                var linear = linears[i];
                if (input.Length < linear.InFeatures || this.outputs[i].Length < linear.OutFeatures)
                {
                    throw new ArgumentException("input needs " + linear.InFeatures + " and output " + linear.OutFeatures + " values");
                }
                firstChunk[i + 1] = firstChunk[i] + linear.DecodeChunks;
            }
        }

        public int Chunks => firstChunk[^1];

        public void Run(int chunk)
        {
            int which = 0;
            while (chunk >= firstChunk[which + 1])
            {
                which++;
            }
            var linear = linears[which];
            int first = (chunk - firstChunk[which]) * linear.DecodeChunkRows;
            linear.DecodeRows(input, outputs[which], first, Math.Min(linear.OutFeatures, first + linear.DecodeChunkRows));
        }
    }

    /// <summary>Rows first..last-1 of one token; <paramref name="input"/> is in pair order when Kernels.DecodesPaired.</summary>
    private void DecodeRows(float[] input, float[] output, int first, int last)
    {
        var weight = Weight;
        var bias = Bias;
        int columns = InFeatures;
        bool paired = Kernels.DecodesPaired;
        fixed (float* x = input)
        {
            for (int row = first; row < last; row++)
            {
                var weights = (ushort*)weight.RowAddress(row);
                float dot = paired ? Kernels.DotBf16Paired(weights, x, columns) : Kernels.DotBf16(weights, x, columns);
                output[row] = dot + (bias is null ? 0f : bias[row]);
            }
        }
    }

    /// <summary>input: tokens × InFeatures; output: tokens × OutFeatures.</summary>
    public void Apply(float[] input, int tokens, float[] output)
    {
        int rows = OutFeatures;
        int columns = InFeatures;
        // The kernels read through pointers: the arrays must hold what tokens says.
        if (tokens <= 0 || input.Length < (long)tokens * columns || output.Length < (long)tokens * rows)
        {
            throw new ArgumentException("input needs tokens × " + columns + " and output tokens × " + rows + " values");
        }
        int workers = Environment.ProcessorCount;
        // Below about 64K multiply-adds, handing rows to other cores costs more than it saves.
        bool small = (long)rows * columns * tokens < 1 << 16;
        bool decode = tokens == 1 && DecodesInPlace;
        int chunkRows = small ? rows : decode ? DecodeChunkRows : Math.Max(8, (rows + workers * 4 - 1) / (workers * 4));
        int chunks = (rows + chunkRows - 1) / chunkRows;
        var weight = Weight;
        var bias = Bias;
        var decodeInput = decode ? DecodeInput(input, columns) ?? input : null;
        void RunChunk(int chunk)
        {
            int first = chunk * chunkRows;
            int last = Math.Min(rows, first + chunkRows);
            if (decodeInput is not null)
            {
                DecodeRows(decodeInput, output, first, last);
                return;
            }
            Span<float> results = stackalloc float[8];
            for (int row = first; row < last; row += 2)
            {
                int pair = Math.Min(2, last - row);
                var buffer = rowBuffer is { } existing && existing.Length >= 2 * columns ? existing : rowBuffer = new float[2 * columns];
                // Consecutive rows are contiguous: f32 ones are used where they lie, others converted side by side.
                ReadOnlySpan<float> weights = weight.F32Row(row);
                if (weights.IsEmpty)
                {
                    for (int k = 0; k < pair; k++)
                    {
                        weight.ReadRow(row + k, buffer.AsSpan(k * columns, columns));
                    }
                    weights = buffer.AsSpan(0, pair * columns);
                }
                else if (pair == 2)
                {
                    weights = MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetReference(weights), 2 * columns);
                }
                int token = 0;
                if (Kernels.Vectorized && pair == 2)
                {
                    fixed (float* w = weights)
                    fixed (float* x = input)
                    {
                        for (; token + 4 <= tokens; token += 4)
                        {
                            Kernels.Dot2x4(w, x + token * columns, columns, columns, results);
                            for (int k = 0; k < 4; k++)
                            {
                                output[(token + k) * rows + row] = results[k] + (bias is null ? 0f : bias[row]);
                                output[(token + k) * rows + row + 1] = results[4 + k] + (bias is null ? 0f : bias[row + 1]);
                            }
                        }
                    }
                }
                for (; token < tokens; token++)
                {
                    for (int k = 0; k < pair; k++)
                    {
                        output[token * rows + row + k] = Kernels.Dot(weights.Slice(k * columns, columns), input.AsSpan(token * columns, columns))
                            + (bias is null ? 0f : bias[row + k]);
                    }
                }
            }
        }
        try
        {
            if (chunks == 1)
            {
                RunChunk(0);
            }
            else
            {
                Parallel.For(0, chunks, RunChunk);
            }
        }
        finally
        {
            if (decodeInput is not null && !ReferenceEquals(decodeInput, input))
            {
                ArrayPool<float>.Shared.Return(decodeInput);
            }
        }
    }
}

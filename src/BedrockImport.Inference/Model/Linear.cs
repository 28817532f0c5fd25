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
        int chunkRows = small ? rows : Math.Max(8, (rows + workers * 4 - 1) / (workers * 4));
        int chunks = (rows + chunkRows - 1) / chunkRows;
        var weight = Weight;
        var bias = Bias;
        void RunChunk(int chunk)
        {
            int first = chunk * chunkRows;
            int last = Math.Min(rows, first + chunkRows);
            if (tokens == 1 && weight.Dtype == WeightDtype.BF16 && Kernels.Vectorized)
            {
                fixed (float* x = input)
                {
                    for (int row = first; row < last; row++)
                    {
                        output[row] = Kernels.DotBf16((ushort*)weight.RowAddress(row), x, columns) + (bias is null ? 0f : bias[row]);
                    }
                }
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
        if (chunks == 1)
        {
            RunChunk(0);
        }
        else
        {
            Parallel.For(0, chunks, RunChunk);
        }
    }
}

namespace BedrockImport.Inference.Model;

/// <summary>y = x Wᵀ + b for a weight of shape [out, in] read in place. Output rows are split across cores; each row
/// is converted to f32 once per call and dotted with every token of the batch, so a prefill batch reads the weights
/// once.</summary>
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
        int workers = Environment.ProcessorCount;
        int chunkRows = Math.Max(8, (rows + workers * 4 - 1) / (workers * 4));
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
            Span<float> four = stackalloc float[4];
            for (int row = first; row < last; row++)
            {
                ReadOnlySpan<float> weights = weight.F32Row(row);
                if (weights.IsEmpty)
                {
                    var buffer = rowBuffer is { } existing && existing.Length >= columns ? existing : rowBuffer = new float[columns];
                    weight.ReadRow(row, buffer);
                    weights = buffer.AsSpan(0, columns);
                }
                float add = bias is null ? 0f : bias[row];
                int token = 0;
                if (Kernels.Vectorized)
                {
                    fixed (float* w = weights)
                    fixed (float* x = input)
                    {
                        for (; token + 4 <= tokens; token += 4)
                        {
                            Kernels.Dot4(w, x + token * columns, columns, columns, four);
                            for (int k = 0; k < 4; k++)
                            {
                                output[(token + k) * rows + row] = four[k] + add;
                            }
                        }
                    }
                }
                for (; token < tokens; token++)
                {
                    output[token * rows + row] = Kernels.Dot(weights, input.AsSpan(token * columns, columns)) + add;
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

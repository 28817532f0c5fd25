using BedrockImport.Inference.Model;

namespace BedrockImport.Inference.Tests.Model;

/// <summary>The matmul kernels against a double-precision sum, at lengths that end in every tail of every vector width
/// (the model fixtures' 64 and 128 columns only reach the main loops).</summary>
public sealed unsafe class KernelTests
{
    public static TheoryData<int> Lengths => new() { 1, 7, 8, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 95, 96, 127, 128, 129, 200, 2048 };

    private static ushort Bf16(float value) => (ushort)(BitConverter.SingleToInt32Bits(value) >>> 16);

    private static float FromBf16(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    private static float[] RandomValues(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    private static void AssertNear(double expected, float actual, double scale) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1, scale), "expected " + expected + ", got " + actual);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void DotBf16_sums_every_element(int length)
    {
        var random = new Random(length);
        var weights = RandomValues(random, length).Select(Bf16).ToArray();
        var x = RandomValues(random, length);
        double expected = 0, scale = 0;
        for (int i = 0; i < length; i++)
        {
            expected += (double)FromBf16(weights[i]) * x[i];
            scale += Math.Abs((double)FromBf16(weights[i]) * x[i]);
        }
        float actual;
        fixed (ushort* w = weights)
        fixed (float* input = x)
        {
            actual = Kernels.DotBf16(w, input, length);
        }
        AssertNear(expected, actual, scale);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void DotBf16Paired_over_the_pair_ordered_input_sums_every_element(int length)
    {
        // Vector512 works (in software) where the hardware lacks it, so this runs everywhere.
        var random = new Random(500 + length);
        var weights = RandomValues(random, length).Select(Bf16).ToArray();
        var x = RandomValues(random, length);
        double expected = 0, scale = 0;
        for (int i = 0; i < length; i++)
        {
            expected += (double)FromBf16(weights[i]) * x[i];
            scale += Math.Abs((double)FromBf16(weights[i]) * x[i]);
        }
        var ordered = new float[length];
        Kernels.ToPairOrder(x, ordered);
        Assert.Equal(x.Order(), ordered.Order());
        float actual;
        fixed (ushort* w = weights)
        fixed (float* input = ordered)
        {
            actual = Kernels.DotBf16Paired(w, input, length);
        }
        AssertNear(expected, actual, scale);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Dot2x4_dots_both_rows_with_all_four_inputs(int length)
    {
        var random = new Random(1000 + length);
        var rows = RandomValues(random, 2 * length);
        int stride = length + 3;
        var x = RandomValues(random, 4 * stride);
        var results = new float[8];
        fixed (float* w = rows)
        fixed (float* input = x)
        {
            Kernels.Dot2x4(w, input, stride, length, results);
        }
        for (int row = 0; row < 2; row++)
        {
            for (int token = 0; token < 4; token++)
            {
                double expected = 0, scale = 0;
                for (int i = 0; i < length; i++)
                {
                    double product = (double)rows[row * length + i] * x[token * stride + i];
                    expected += product;
                    scale += Math.Abs(product);
                }
                AssertNear(expected, results[row * 4 + token], scale);
            }
        }
    }
}

namespace BedrockImport.Inference.Model;

/// <summary>Rotary position embedding in transformers' Llama convention (rotate_half: the first half of a head pairs
/// with the second half, not interleaved), with the default, linear and llama3 inverse-frequency rules.</summary>
public sealed class Rope
{
    private readonly double[] inverseFrequencies;

    public Rope(ModelConfig config)
    {
        int half = config.HeadDim / 2;
        inverseFrequencies = new double[half];
        double lowFreqWavelength = config.RopeOriginalMaxPositions / config.RopeLowFreqFactor;
        double highFreqWavelength = config.RopeOriginalMaxPositions / config.RopeHighFreqFactor;
        for (int i = 0; i < half; i++)
        {
            // transformers computes this in f32: base ** (2i / dim), inverted.
            double frequency = (float)(1.0 / (float)Math.Pow(config.RopeTheta, 2.0 * i / config.HeadDim));
            switch (config.RopeScaling)
            {
                case RopeScaling.Linear:
                    frequency /= config.RopeFactor;
                    break;
                case RopeScaling.Llama3:
                    double wavelength = 2 * Math.PI / frequency;
                    if (wavelength > lowFreqWavelength)
                    {
                        frequency /= config.RopeFactor;
                    }
                    else if (wavelength >= highFreqWavelength)
                    {
                        double smooth = (config.RopeOriginalMaxPositions / wavelength - config.RopeLowFreqFactor)
                            / (config.RopeHighFreqFactor - config.RopeLowFreqFactor);
                        frequency = (1 - smooth) * frequency / config.RopeFactor + smooth * frequency;
                    }
                    break;
            }
            inverseFrequencies[i] = (float)frequency;
        }
    }

    public IReadOnlyList<double> InverseFrequencies => inverseFrequencies;

    /// <summary>Fills cos and sin (length HeadDim/2 each) for one position.</summary>
    public void Angles(int position, Span<float> cos, Span<float> sin)
    {
        for (int i = 0; i < inverseFrequencies.Length; i++)
        {
            float angle = (float)(position * inverseFrequencies[i]);
            cos[i] = MathF.Cos(angle);
            sin[i] = MathF.Sin(angle);
        }
    }

    /// <summary>Rotates each head of <paramref name="heads"/> (heads × headDim, contiguous) in place.</summary>
    public static void Apply(Span<float> heads, int headDim, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = headDim / 2;
        for (int start = 0; start < heads.Length; start += headDim)
        {
            var head = heads.Slice(start, headDim);
            for (int i = 0; i < half; i++)
            {
                float first = head[i];
                float second = head[i + half];
                head[i] = first * cos[i] - second * sin[i];
                head[i + half] = second * cos[i] + first * sin[i];
            }
        }
    }
}

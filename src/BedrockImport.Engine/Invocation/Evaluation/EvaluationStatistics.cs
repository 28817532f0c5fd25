namespace BedrockImport.Engine.Invocation.Evaluation;

/// <summary>The statistics of an evaluation, each defined so a reader can recompute it by hand.</summary>
public static class EvaluationStatistics
{
    /// <summary>z for a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>Wilson score interval for <paramref name="correct"/> of <paramref name="items"/>:
    /// (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n). With no items it is (0, 1): nothing is known.</summary>
    public static (double Low, double High) Wilson(long correct, long items, double z = Z95)
    {
        if (items <= 0) return (0, 1);
        if (correct < 0 || correct > items) throw new ArgumentOutOfRangeException(nameof(correct));
        double n = items, p = correct / n, z2 = z * z;
        var denominator = 1 + z2 / n;
        var centre = (p + z2 / (2 * n)) / denominator;
        var half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator;
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>Exact two-sided McNemar test on the discordant pairs: b items only the first model got right, c only
    /// the second: p = min(1, 2·Σ_{k≤min(b,c)} C(b+c,k)/2^(b+c)). Summed in log space (log C grows incrementally), so it
    /// stays exact to double precision for b+c in the millions. No discordant pairs gives 1.</summary>
    public static double McNemarExact(long b, long c)
    {
        if (b < 0 || c < 0) throw new ArgumentOutOfRangeException(b < 0 ? nameof(b) : nameof(c));
        var n = b + c;
        if (n == 0) return 1;
        var k = Math.Min(b, c);
        var log2 = Math.Log(2);
        double logTerm = -n * log2; // log(C(n,0) / 2^n)
        var logSum = logTerm;
        for (long i = 0; i < k; i++)
        {
            logTerm += Math.Log(n - i) - Math.Log(i + 1);
            logSum = LogAdd(logSum, logTerm);
        }
        return Math.Min(1, Math.Exp(logSum + log2));
    }

    /// <summary>Nearest-rank percentile: the value at rank ⌈q/100 · n⌉ (1-based) of the sorted values; q = 0 gives the
    /// smallest. Empty input gives null.</summary>
    public static double? NearestRank(IReadOnlyList<double> sortedValues, double percentile)
    {
        if (sortedValues.Count == 0) return null;
        if (percentile < 0 || percentile > 100) throw new ArgumentOutOfRangeException(nameof(percentile));
        var rank = (int)Math.Ceiling(percentile / 100 * sortedValues.Count);
        return sortedValues[Math.Max(1, rank) - 1];
    }

    private static double LogAdd(double a, double b)
    {
        var max = Math.Max(a, b);
        return max + Math.Log(Math.Exp(a - max) + Math.Exp(b - max));
    }
}

/// <summary>One model's result.</summary>
public sealed class ModelSummary
{
    public string Model { get; set; } = "";
    public string Dataset { get; set; } = "";
    public string RunKey { get; set; } = "";
    public long Items { get; set; }
    public long Correct { get; set; }

    /// <summary>Correct / Items; unparsed answers count as wrong.</summary>
    public double Accuracy { get; set; }
    public double AccuracyLow { get; set; }
    public double AccuracyHigh { get; set; }
    public long Unparsed { get; set; }
    public double? MeanLatencyMs { get; set; }

    /// <summary>Nearest-rank percentiles (see <see cref="EvaluationStatistics.NearestRank"/>).</summary>
    public double? P50LatencyMs { get; set; }
    public double? P95LatencyMs { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }

    /// <summary>Per (label, predicted) counts; Predicted −1 is Unparsed.</summary>
    public IReadOnlyList<ConfusionCell> Confusion { get; set; } = Array.Empty<ConfusionCell>();

    /// <summary>All latencies, sorted (for the report's distribution).</summary>
    public IReadOnlyList<double> SortedLatenciesMs { get; set; } = Array.Empty<double>();
}

public sealed class ConfusionCell
{
    public ConfusionCell(int label, int predicted, long count)
    {
        Label = label;
        Predicted = predicted;
        Count = count;
    }

    public int Label { get; }

    /// <summary>The chosen index, −1 for Unparsed.</summary>
    public int Predicted { get; }
    public long Count { get; }
}

/// <summary>Two models on the same items.</summary>
public sealed class ModelComparison
{
    public string ModelA { get; set; } = "";
    public string ModelB { get; set; } = "";
    public long PairedItems { get; set; }
    public double AccuracyA { get; set; }
    public double AccuracyB { get; set; }

    /// <summary>AccuracyA − AccuracyB on the paired items.</summary>
    public double AccuracyDifference { get; set; }
    public long BothCorrect { get; set; }

    /// <summary>b: A right, B wrong.</summary>
    public long OnlyACorrect { get; set; }

    /// <summary>c: B right, A wrong.</summary>
    public long OnlyBCorrect { get; set; }
    public long BothWrong { get; set; }

    /// <summary><see cref="EvaluationStatistics.McNemarExact"/> of b and c.</summary>
    public double McNemarP { get; set; }

    /// <summary>Share of paired items where both chose the same choice (two Unparsed answers are not an agreement: neither chose).</summary>
    public double AgreementRate { get; set; }
}

namespace BedrockImport.Engine.Invocation.Evaluation;

/// <summary>Running totals for one model: counts, token sums, confusion, and per item (in item order) the chosen
/// answer and latency — the only per-item state, needed for pairing (McNemar, agreement) and percentiles.</summary>
internal sealed class ModelTally
{
    private const short Unparsed = -1;
    private readonly List<short> _choices = new();
    private readonly List<short> _labels = new();
    private readonly List<double> _latencies = new();
    private readonly Dictionary<(int Label, int Predicted), long> _confusion = new();

    public ModelTally(string model, string runKey)
    {
        Model = model;
        RunKey = runKey;
    }

    public string Model { get; }
    public string RunKey { get; }
    public long Items { get; private set; }
    public long Correct { get; private set; }
    public long UnparsedCount { get; private set; }
    public long InputTokens { get; private set; }
    public long OutputTokens { get; private set; }

    public void Add(EvaluationRow row)
    {
        Items++;
        if (row.Correct) Correct++;
        if (row.ChoiceIndex == null) UnparsedCount++;
        InputTokens += row.InputTokens;
        OutputTokens += row.OutputTokens;
        var predicted = row.ChoiceIndex ?? Unparsed;
        _choices.Add((short)predicted);
        _labels.Add((short)row.Label);
        _latencies.Add(row.LatencyMs);
        _confusion.TryGetValue((row.Label, predicted), out var count);
        _confusion[(row.Label, predicted)] = count + 1;
    }

    public ModelSummary Summary(string dataset)
    {
        var (low, high) = EvaluationStatistics.Wilson(Correct, Items);
        var sorted = _latencies.OrderBy(l => l).ToList();
        return new ModelSummary
        {
            Model = Model,
            Dataset = dataset,
            RunKey = RunKey,
            Items = Items,
            Correct = Correct,
            Accuracy = Items == 0 ? 0 : (double)Correct / Items,
            AccuracyLow = low,
            AccuracyHigh = high,
            Unparsed = UnparsedCount,
            MeanLatencyMs = sorted.Count == 0 ? null : sorted.Average(),
            P50LatencyMs = EvaluationStatistics.NearestRank(sorted, 50),
            P95LatencyMs = EvaluationStatistics.NearestRank(sorted, 95),
            InputTokens = InputTokens,
            OutputTokens = OutputTokens,
            Confusion = _confusion.OrderBy(c => c.Key.Label).ThenBy(c => c.Key.Predicted).Select(c => new ConfusionCell(c.Key.Label, c.Key.Predicted, c.Value)).ToList(),
            SortedLatenciesMs = sorted,
        };
    }

    /// <summary>Both tallies saw the same items in the same order (the evaluator guarantees it).</summary>
    public static ModelComparison Compare(ModelTally a, ModelTally b)
    {
        long both = 0, onlyA = 0, onlyB = 0, neither = 0, agree = 0;
        var n = Math.Min(a._choices.Count, b._choices.Count);
        for (var i = 0; i < n; i++)
        {
            var rightA = a._choices[i] == a._labels[i];
            var rightB = b._choices[i] == b._labels[i];
            if (rightA && rightB) both++;
            else if (rightA) onlyA++;
            else if (rightB) onlyB++;
            else neither++;
            if (a._choices[i] == b._choices[i] && a._choices[i] != Unparsed) agree++;
        }
        double accuracyA = n == 0 ? 0 : (double)(both + onlyA) / n, accuracyB = n == 0 ? 0 : (double)(both + onlyB) / n;
        return new ModelComparison
        {
            ModelA = a.Model,
            ModelB = b.Model,
            PairedItems = n,
            AccuracyA = accuracyA,
            AccuracyB = accuracyB,
            AccuracyDifference = accuracyA - accuracyB,
            BothCorrect = both,
            OnlyACorrect = onlyA,
            OnlyBCorrect = onlyB,
            BothWrong = neither,
            McNemarP = EvaluationStatistics.McNemarExact(onlyA, onlyB),
            AgreementRate = n == 0 ? 0 : (double)agree / n,
        };
    }
}

using System.Text.Json;
using BedrockImport.Engine.Json;
using System.Diagnostics;

namespace BedrockImport.Engine.Invocation.Evaluation;

/// <summary>What the invoke delegate is asked: send <see cref="Prompt"/> to <see cref="Model"/>.</summary>
public sealed class EvaluationRequest
{
    public EvaluationRequest(string model, MultipleChoiceItem item, long itemIndex, EvaluationPrompt prompt, string runKey)
    {
        Model = model;
        Item = item;
        ItemIndex = itemIndex;
        Prompt = prompt;
        RunKey = runKey;
    }

    public string Model { get; }
    public MultipleChoiceItem Item { get; }
    public long ItemIndex { get; }
    public EvaluationPrompt Prompt { get; }
    public string RunKey { get; }
}

/// <summary>What the invoke delegate returns.</summary>
public sealed class EvaluationAnswer
{
    public EvaluationAnswer(string completion, double latencyMs, long inputTokens = 0, long outputTokens = 0)
    {
        Completion = completion ?? "";
        LatencyMs = latencyMs;
        InputTokens = inputTokens;
        OutputTokens = outputTokens;
    }

    public string Completion { get; }
    public double LatencyMs { get; }
    public long InputTokens { get; }
    public long OutputTokens { get; }
}

public sealed class EvaluationOptions
{
    /// <summary>Requests in flight at once.</summary>
    public int ThrottleLimit { get; set; } = 4;

    /// <summary>A canonical text of the inference settings (temperature, max tokens, stop sequences, API); part of the run key.</summary>
    public string InferenceSettings { get; set; } = "";
    public string Dataset { get; set; } = "";

    /// <summary>When set, finished rows are skipped on a rerun and new rows appended.</summary>
    public ResultStore? Store { get; set; }

    /// <summary>Item count if known (for the ETA).</summary>
    public long? TotalItems { get; set; }

    /// <summary>Minimum time between progress snapshots (the last one is always sent); zero sends one per row.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How many disagreeing items to keep for the report.</summary>
    public int MaxDisagreements { get; set; } = 200;
}

/// <summary>A progress snapshot.</summary>
public sealed class EvaluationProgress
{
    public long ItemsDone { get; set; }
    public long? TotalItems { get; set; }
    public IReadOnlyDictionary<string, double> RunningAccuracy { get; set; } = new Dictionary<string, double>();

    /// <summary>Requests answered now (not resumed) per second since the start.</summary>
    public double RequestsPerSecond { get; set; }
    public TimeSpan? EstimatedRemaining { get; set; }
}

/// <summary>An item on which the models chose differently.</summary>
public sealed class Disagreement
{
    public Disagreement(MultipleChoiceItem item, IReadOnlyList<int?> choices)
    {
        Item = item;
        Choices = choices;
    }

    public MultipleChoiceItem Item { get; }

    /// <summary>Each model's choice in model order, null for Unparsed.</summary>
    public IReadOnlyList<int?> Choices { get; }
}

public sealed class EvaluationResult
{
    public EvaluationResult(IReadOnlyList<ModelSummary> summaries, IReadOnlyList<ModelComparison> comparisons, IReadOnlyList<Disagreement> disagreements,
        long? disagreementCount = null)
    {
        Summaries = summaries;
        Comparisons = comparisons;
        Disagreements = disagreements;
        DisagreementCount = disagreementCount;
    }

    /// <summary>How many items the models chose differently on, including those beyond the kept <see cref="Disagreements"/>.</summary>
    public long? DisagreementCount { get; }

    public IReadOnlyList<ModelSummary> Summaries { get; }

    /// <summary>Every pair of models, in model order.</summary>
    public IReadOnlyList<ModelComparison> Comparisons { get; }
    public IReadOnlyList<Disagreement> Disagreements { get; }
}

/// <summary>Runs items × models through an invoke delegate with bounded concurrency. Rows come out in item order,
/// then model order, whatever order the answers arrive in; each is appended to the store as soon as it is answered.
/// Memory is flat in the item count apart from a few bytes per item per model (chosen answer, latency). An exception
/// from the delegate ends the run after the requests in flight finish; their rows are kept in the store.</summary>
public sealed class Evaluator
{
    private readonly IReadOnlyList<string> _models;
    private readonly PromptBuilder _prompts;
    private readonly Func<EvaluationRequest, CancellationToken, Task<EvaluationAnswer>> _invoke;
    private readonly EvaluationOptions _options;

    public Evaluator(IEnumerable<string> models, PromptBuilder prompts, Func<EvaluationRequest, CancellationToken, Task<EvaluationAnswer>> invoke, EvaluationOptions? options = null)
    {
        _models = models.ToList();
        if (_models.Count == 0) throw new ArgumentException("At least one model.", nameof(models));
        if (_models.Distinct(StringComparer.Ordinal).Count() != _models.Count) throw new ArgumentException("A model is listed twice.", nameof(models));
        _prompts = prompts ?? throw new ArgumentNullException(nameof(prompts));
        _invoke = invoke ?? throw new ArgumentNullException(nameof(invoke));
        _options = options ?? new EvaluationOptions();
        if (_options.ThrottleLimit < 1) throw new ArgumentOutOfRangeException(nameof(options), "ThrottleLimit is at least 1.");
        RunKeys = _models.Select(m => PromptBuilder.Hash("model\0" + m + "\0prompt\0" + _prompts.Fingerprint + "\0settings\0" + _options.InferenceSettings)).ToList();
    }

    /// <summary>One run key per model (model id, prompt fingerprint, inference settings).</summary>
    public IReadOnlyList<string> RunKeys { get; }

    public async Task<EvaluationResult> RunAsync(IEnumerable<MultipleChoiceItem> items, Action<EvaluationRow>? onRow = null,
        Action<EvaluationProgress>? onProgress = null, CancellationToken cancellationToken = default)
    {
        var tallies = _models.Select((m, i) => new ModelTally(m, RunKeys[i])).ToList();
        var disagreements = new List<Disagreement>();
        var gate = new SemaphoreSlim(_options.ThrottleLimit);
        var window = new Queue<(MultipleChoiceItem Item, Task<EvaluationRow>[] Rows)>();
        var clock = Stopwatch.StartNew();
        TimeSpan? lastProgress = null;
        long itemsDone = 0, answeredNow = 0, disagreementCount = 0;
        var windowLimit = Math.Max(2, 4 * _options.ThrottleLimit / _models.Count + 1);

        void Emit((MultipleChoiceItem Item, Task<EvaluationRow>[] Rows) entry)
        {
            var rows = entry.Rows.Select(t => t.Result).ToList();
            for (var m = 0; m < rows.Count; m++)
            {
                tallies[m].Add(rows[m]);
                if (!rows[m].Resumed) answeredNow++;
                onRow?.Invoke(rows[m]);
            }
            if (rows.Select(r => r.ChoiceIndex).Distinct().Count() > 1)
            {
                disagreementCount++;
                if (disagreements.Count < _options.MaxDisagreements) disagreements.Add(new Disagreement(entry.Item, rows.Select(r => r.ChoiceIndex).ToList()));
            }
            itemsDone++;
            if (onProgress != null && (lastProgress == null || clock.Elapsed - lastProgress.Value >= _options.ProgressInterval))
            {
                lastProgress = clock.Elapsed;
                onProgress(Progress(tallies, itemsDone, answeredNow, clock.Elapsed));
            }
        }

        long index = 0;
        try
        {
            foreach (var item in items)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var prompt = _prompts.Build(item);
                var itemIndex = index++;
                var rows = _models.Select((model, m) => Score(model, RunKeys[m], item, itemIndex, prompt, gate, cancellationToken)).ToArray();
                window.Enqueue((item, rows));
                while (window.Count >= windowLimit)
                {
                    await Task.WhenAll(window.Peek().Rows).ConfigureAwait(false);
                    Emit(window.Dequeue());
                }
            }
            while (window.Count > 0)
            {
                await Task.WhenAll(window.Peek().Rows).ConfigureAwait(false);
                Emit(window.Dequeue());
            }
        }
        finally
        {
            // Let requests in flight finish (and store their rows) before the exception leaves.
            foreach (var entry in window)
                foreach (var task in entry.Rows)
                    try { await task.ConfigureAwait(false); } catch (Exception) { /* reported by the first failure */ }
        }
        onProgress?.Invoke(Progress(tallies, itemsDone, answeredNow, clock.Elapsed));
        var summaries = tallies.Select(t => t.Summary(_options.Dataset)).ToList();
        var comparisons = new List<ModelComparison>();
        for (var a = 0; a < tallies.Count; a++)
            for (var b = a + 1; b < tallies.Count; b++)
                comparisons.Add(ModelTally.Compare(tallies[a], tallies[b]));
        return new EvaluationResult(summaries, comparisons, disagreements, disagreementCount);
    }

    private async Task<EvaluationRow> Score(string model, string runKey, MultipleChoiceItem item, long itemIndex, EvaluationPrompt prompt,
        SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        var stored = _options.Store?.Find(runKey, item.Id);
        if (stored != null) return stored;
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        EvaluationAnswer answer;
        try
        {
            answer = await _invoke(new EvaluationRequest(model, item, itemIndex, prompt, runKey), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
        var extracted = AnswerExtractor.Extract(answer.Completion, item.Choices);
        var row = new EvaluationRow
        {
            Model = model,
            ItemId = item.Id,
            RunKey = runKey,
            PromptHash = prompt.Hash,
            Prompt = _prompts.Style == PromptStyle.Text ? prompt.Text
                : JsonSerializer.Serialize(prompt.Messages.Select(m => new { role = m.Role, content = m.Content }), EngineJson.Options),
            Completion = answer.Completion,
            Answer = extracted.Text,
            ChoiceIndex = extracted.ChoiceIndex,
            Label = item.Label,
            Rule = extracted.Rule,
            Correct = extracted.ChoiceIndex == item.Label,
            LatencyMs = answer.LatencyMs,
            InputTokens = answer.InputTokens,
            OutputTokens = answer.OutputTokens,
            Timestamp = DateTimeOffset.UtcNow,
        };
        _options.Store?.Append(row);
        return row;
    }

    private EvaluationProgress Progress(IReadOnlyList<ModelTally> tallies, long itemsDone, long answeredNow, TimeSpan elapsed)
    {
        var rate = elapsed.TotalSeconds > 0 ? answeredNow / elapsed.TotalSeconds : 0;
        TimeSpan? eta = null;
        if (_options.TotalItems is long total && rate > 0)
            eta = TimeSpan.FromSeconds(Math.Max(0, total - itemsDone) * _models.Count / rate);
        return new EvaluationProgress
        {
            ItemsDone = itemsDone,
            TotalItems = _options.TotalItems,
            RunningAccuracy = tallies.ToDictionary(t => t.Model, t => t.Items == 0 ? 0 : (double)t.Correct / t.Items, StringComparer.Ordinal),
            RequestsPerSecond = rate,
            EstimatedRemaining = eta,
        };
    }
}

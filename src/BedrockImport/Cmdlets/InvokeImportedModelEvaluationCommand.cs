using System.Collections;
using System.Globalization;
using System.Management.Automation;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Invocation.Evaluation;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Scores one or more models on a multiple-choice set (JCommonsenseQA's JSON Lines, CSV or objects) the way
/// the field report did: a 1-shot prompt, the answer read from &lt;answer&gt; tags, temperature 0; with a summary per
/// model, a paired comparison, per-item rows, resumable results and an HTML report.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "ImportedModelEvaluation", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(ModelSummary), typeof(ModelComparison), typeof(EvaluationRow))]
public sealed class InvokeImportedModelEvaluationCommand : RuntimeCmdlet
{
    private const string PathSet = "Path";
    private const string InputObjectSet = "InputObject";

    /// <summary>Imported model names or ARNs, Bedrock model ids or inference profiles; all are asked every item.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("ModelArn", "ModelName")]
    [ArgumentCompleter(typeof(ImportedModelNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] ModelId { get; set; } = Array.Empty<string>();

    /// <summary>JSON Lines (JGLUE's valid-v1.1.json) or .csv files of items.</summary>
    [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Items as objects or hashtables (e.g. from Import-Csv or ConvertFrom-Json).</summary>
    [Parameter(ParameterSetName = InputObjectSet, Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>Which fields hold the parts of an item when they are not JGLUE's names: keys id, question, label,
    /// choicePrefix (numbered fields, default choice0, choice1, …) or choices (one list field).</summary>
    [Parameter]
    public Hashtable? FieldMap { get; set; }

    /// <summary>The data set's name in the summary and report (default: the file names, or "input").</summary>
    [Parameter]
    public string? Dataset { get; set; }

    /// <summary>Worked examples before each item, drawn from -FewShotPath (default: the field report's example), never the item itself.</summary>
    [Parameter]
    [ValidateRange(0, 64)]
    public int Shots { get; set; } = 1;

    /// <summary>A JSON Lines or CSV file of example items (same fields as the data set) for -Shots.</summary>
    [Parameter]
    public string? FewShotPath { get; set; }

    /// <summary>A template file or text: {question}, {choices}, {choice0}…, {examples}; {{ and }} for braces.</summary>
    [Parameter]
    public string? PromptTemplate { get; set; }

    /// <summary>Text (one prompt) or Messages (system, examples as turns, then the item; for instruct models).</summary>
    [Parameter]
    [EnumName(typeof(EvaluationPromptStyle)), ValidateEnumName]
    public EvaluationPromptStyle PromptStyle { get; set; } = EvaluationPromptStyle.Text;

    /// <summary>The system message of the Messages style (default: answer inside &lt;answer&gt; tags).</summary>
    [Parameter]
    public string? SystemPrompt { get; set; }

    [Parameter]
    [EnumName(typeof(BodyFormat)), ValidateEnumName]
    public BodyFormat? Format { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxTokens { get; set; } = EvaluationInferenceSettings.DefaultMaxTokens;

    [Parameter]
    [ValidateRange(0.0, 2.0)]
    public double Temperature { get; set; }

    /// <summary>Default &lt;/answer&gt;: held on our side even if the service ignores it.</summary>
    [Parameter]
    [Alias("Stop")]
    public string[] StopSequence { get; set; } = EvaluationInferenceSettings.DefaultStopSequences.ToArray();

    /// <summary>Asks the service to answer with exactly one of the item's choices (structured outputs: imported models
    /// through InvokeModel in an OpenAI format, imported after 2025-11-11); other models are asked unconstrained, with a warning.</summary>
    [Parameter]
    public SwitchParameter ConstrainToChoices { get; set; }

    /// <summary>Requests in flight at once, across all models.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 4;

    [Parameter]
    [ValidateRange(0, 100)]
    public int MaximumRetryCount { get; set; } = 4;

    /// <summary>Per-item rows, appended as they are answered (.jsonl, or .csv); a rerun with the same file skips items already scored for the same model, prompt and settings.</summary>
    [Parameter]
    public string? ResultPath { get; set; }

    /// <summary>Writes one self-contained HTML page: accuracy with intervals, latency, confusion, disagreements.</summary>
    [Parameter]
    public string? ReportPath { get; set; }

    /// <summary>Writes every per-item row to the pipeline too, before the summaries.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private const int ProgressId = 0xE7A1;
    private readonly List<IDictionary<string, object?>> _piped = new();

    protected override Task ProcessRecordAsync()
    {
        if (ParameterSetName == InputObjectSet && InputObject != null)
        {
            _piped.Add(Fields(InputObject));
        }

        return Task.CompletedTask;
    }

    protected override async Task EndProcessingAsync()
    {
        if (!TryPrepare(out var map, out var prompts, out var datasetName, out var files))
        {
            return;
        }

        IEnumerable<MultipleChoiceItem> Items() => files == null
            ? DatasetReader.ReadDictionaries(_piped, map)
            : files.SelectMany(file => DatasetReader.ReadFile(file, map));

        // A first pass reads every item before anything is sent: a bad row is an error that costs no request, the
        // item count gives the progress bar its end, and the ids must be unique for resuming to be exact.
        long itemCount, promptTokens;
        string? duplicate;
        try
        {
            (itemCount, promptTokens, duplicate) = Survey(Items(), prompts);
        }
        catch (Exception e) when (e is DatasetFormatException || e is IOException || e is UnauthorizedAccessException)
        {
            WriteError(ErrorRecords.From(e, files?.FirstOrDefault() ?? (object)"input", Redact));
            return;
        }

        if (duplicate != null)
        {
            WriteError(ErrorRecords.Argument("DuplicateItemId",
                $"Item id '{duplicate}' occurs twice in {datasetName}; ids must be unique so that every item is scored, and resumed, exactly once.", duplicate));
            return;
        }

        if (itemCount == 0)
        {
            WriteError(ErrorRecords.Argument("NoEvaluationItems", $"The data set {datasetName} has no items.", datasetName));
            return;
        }

        var settings = new EvaluationInferenceSettings
        {
            Api = Api.ToEngine(),
            Format = Format.ToEngine(),
            MaxTokens = MaxTokens,
            Temperature = Temperature,
            StopSequences = StopSequence,
            ConstrainToChoices = ConstrainToChoices,
        };
        var invoker = new EvaluationInvoker(Invoker(MaximumRetryCount), settings, PromptStyle.ToEngine());
        var models = ModelId.Distinct(StringComparer.Ordinal).ToList();

        ResultStore? store = null;
        try
        {
            if (ResultPath != null)
            {
                store = OpenStore(GetUnresolvedProviderPathFromPSPath(ResultPath));
                if (store == null)
                {
                    return;
                }
            }

            var options = new EvaluationOptions
            {
                ThrottleLimit = ThrottleLimit,
                InferenceSettings = settings.Canonical(),
                Dataset = datasetName,
                Store = store,
                TotalItems = itemCount,
            };
            var evaluator = new Evaluator(models, prompts, invoker.AskAsync, options);
            if (!await ConfirmAsync(models, evaluator, store, itemCount, promptTokens, datasetName).ConfigureAwait(false))
            {
                return;
            }

            foreach (var model in models)
            {
                try
                {
                    await invoker.PrepareAsync(model, CancellationToken).ConfigureAwait(false);
                }
                catch (InvocationValidationException error)
                {
                    WriteError(ErrorRecords.Argument("InvokeModelNeedsImportedModel", error.Message, model));
                    return;
                }

                if (ConstrainToChoices && !invoker.CanConstrain(model))
                {
                    WriteWarning($"{model} is asked without -ConstrainToChoices: structured outputs exist for imported models through InvokeModel in an OpenAI format only, not for Converse or -Format BedrockCompletion.");
                }
            }

            var activity = $"Evaluating {string.Join(", ", models)} on {datasetName}";
            EvaluationResult result;
            try
            {
                result = await evaluator.RunAsync(Items(),
                    row =>
                    {
                        if (PassThru)
                        {
                            WriteObject(row);
                        }
                    },
                    progress => WriteProgress(Progress(activity, progress)),
                    CancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (!(error is OperationCanceledException && CancellationToken.IsCancellationRequested))
            {
                var record = ErrorRecords.From(error, datasetName, Redact);
                if (store != null)
                {
                    record.ErrorDetails = new ErrorDetails(record.Exception.Message +
                        $" Every item answered so far is kept in {store.Path}: run the same command again to go on from there.");
                }

                WriteError(record);
                return;
            }
            finally
            {
                ColdStartOver();
                WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
            }

            foreach (var summary in result.Summaries)
            {
                WriteObject(summary);
            }

            foreach (var comparison in result.Comparisons)
            {
                WriteObject(comparison);
            }

            if (ReportPath != null)
            {
                WriteReport(result, datasetName);
            }
        }
        finally
        {
            store?.Dispose();
        }
    }

    /// <summary>Reads the parameters into the prompt builder, field map and item source; false after writing the error.</summary>
    private bool TryPrepare(out ItemFieldMap map, out PromptBuilder prompts, out string datasetName, out List<string>? files)
    {
        map = ItemFieldMap.JGlue;
        prompts = null!;
        files = null;
        datasetName = Dataset ?? "input";
        try
        {
            if (FieldMap != null)
            {
                map = ItemFieldMap.From(FieldMap.Cast<DictionaryEntry>()
                    .Select(e => new KeyValuePair<string, string>(Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "", Convert.ToString(e.Value, CultureInfo.InvariantCulture) ?? "")));
            }
        }
        catch (ArgumentException error)
        {
            WriteError(ErrorRecords.Argument("InvalidFieldMap", error.Message, FieldMap));
            return false;
        }

        if (ParameterSetName == PathSet)
        {
            files = new List<string>();
            foreach (var path in Path)
            {
                var resolved = GetUnresolvedProviderPathFromPSPath(path);
                if (!File.Exists(resolved))
                {
                    WriteError(ErrorRecords.Argument("DatasetNotFound", $"The data set file {resolved} does not exist.", path));
                    return false;
                }

                files.Add(resolved);
            }

            datasetName = Dataset ?? string.Join(", ", files.Select(System.IO.Path.GetFileName));
        }

        IReadOnlyList<MultipleChoiceItem>? pool = null;
        if (FewShotPath != null)
        {
            var resolved = GetUnresolvedProviderPathFromPSPath(FewShotPath);
            try
            {
                pool = DatasetReader.ReadFile(resolved, map).ToList();
            }
            catch (Exception e) when (e is DatasetFormatException || e is IOException || e is UnauthorizedAccessException)
            {
                WriteError(ErrorRecords.From(e, FewShotPath, Redact));
                return false;
            }

            if (pool.Count < Shots)
            {
                WriteError(ErrorRecords.Argument("TooFewExamples",
                    $"-Shots {Shots} needs at least {Shots} examples, and {resolved} has {pool.Count}.", FewShotPath));
                return false;
            }
        }
        else if (Shots > 1)
        {
            WriteError(ErrorRecords.Argument("TooFewExamples",
                $"-Shots {Shots} needs a pool of examples: give -FewShotPath (the built-in pool is the field report's one example).", Shots));
            return false;
        }

        string? template;
        if (!TryReadTemplate(out template))
        {
            return false;
        }

        try
        {
            prompts = new PromptBuilder(template, Shots, pool, PromptStyle.ToEngine(), SystemPrompt);
        }
        catch (FormatException error)
        {
            WriteError(ErrorRecords.Argument("InvalidPromptTemplate", error.Message, PromptTemplate));
            return false;
        }

        return true;
    }

    /// <summary>-PromptTemplate is a file when one is there, else the template text itself (which then names a placeholder).</summary>
    private bool TryReadTemplate(out string? template)
    {
        template = null;
        if (PromptTemplate == null)
        {
            return true;
        }

        string? resolved = null;
        try
        {
            resolved = GetUnresolvedProviderPathFromPSPath(PromptTemplate);
        }
        catch (Exception e) when (e is ArgumentException || e is NotSupportedException || e is ItemNotFoundException || e is ProviderNotFoundException || e is System.Management.Automation.DriveNotFoundException)
        {
            // Not a path: template text.
        }

        if (resolved != null && File.Exists(resolved))
        {
            template = File.ReadAllText(resolved);
            return true;
        }

        if (PromptTemplate.IndexOf('{') < 0)
        {
            WriteError(ErrorRecords.Argument("PromptTemplateNotFound",
                $"-PromptTemplate '{PromptTemplate}' is neither a file nor a template (a template names at least one placeholder such as {{question}}).", PromptTemplate));
            return false;
        }

        template = PromptTemplate;
        return true;
    }

    /// <summary>Counts the items and estimates their prompt tokens; stops at the first id seen twice and returns it.</summary>
    private static (long Items, long PromptTokens, string? Duplicate) Survey(IEnumerable<MultipleChoiceItem> items, PromptBuilder prompts)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long count = 0, tokens = 0;
        foreach (var item in items)
        {
            count++;
            if (!ids.Add(item.Id))
            {
                return (count, tokens, item.Id);
            }

            tokens += PromptTokenEstimate.Of(prompts.Build(item));
        }

        return (count, tokens, null);
    }

    /// <summary>One ShouldProcess per model, saying what it would cost (requests not already in the result file, prompt tokens).</summary>
    private async Task<bool> ConfirmAsync(IReadOnlyList<string> models, Evaluator evaluator, ResultStore? store, long items, long promptTokens, string dataset)
    {
        var go = true;
        for (var m = 0; m < models.Count; m++)
        {
            var done = store?.CountRun(evaluator.RunKeys[m]) ?? 0;
            var requests = Math.Max(0, items - done);
            var tokens = items == 0 ? 0 : promptTokens * requests / items;
            var action = string.Format(CultureInfo.InvariantCulture,
                "Evaluate on {0:N0} items of {1}: {2:N0} requests{3}, about {4:N0} prompt tokens (estimated), at most {5} max tokens each",
                items, dataset, requests, done > 0 ? $" ({done:N0} already scored in {store!.Path})" : "", tokens, MaxTokens);
            go &= await ShouldProcessAsync(models[m], action).ConfigureAwait(false);
        }

        return go;
    }

    private ResultStore? OpenStore(string path)
    {
        try
        {
            var store = ResultStore.Open(path);
            if (store.TruncatedLine is long line)
            {
                WriteWarning($"The last row of {path} (line {line}) was half written, probably by a run that was stopped; it was removed and that item is asked again.");
            }

            return store;
        }
        catch (Exception e) when (e is FormatException || e is IOException || e is UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(e, e is FormatException ? "InvalidResultFile" : "ResultFileUnavailable",
                e is FormatException ? ErrorCategory.InvalidData : ErrorCategory.WriteError, path));
            return null;
        }
    }

    private static ProgressRecord Progress(string activity, EvaluationProgress progress)
    {
        var accuracy = string.Join(" · ", progress.RunningAccuracy.Select(a => $"{a.Key} {(100 * a.Value).ToString("0.0", CultureInfo.InvariantCulture)}%"));
        var status = string.Format(CultureInfo.InvariantCulture, "{0:N0} of {1:N0} items · {2} · {3:F1} requests/s",
            progress.ItemsDone, progress.TotalItems ?? 0, accuracy, progress.RequestsPerSecond);
        var record = new ProgressRecord(ProgressId, activity, status);
        if (progress.TotalItems is long total && total > 0)
        {
            record.PercentComplete = (int)Math.Min(100, progress.ItemsDone * 100 / total);
        }

        if (progress.EstimatedRemaining is TimeSpan remaining)
        {
            record.SecondsRemaining = (int)Math.Min(int.MaxValue, Math.Ceiling(remaining.TotalSeconds));
        }

        return record;
    }

    private void WriteReport(EvaluationResult result, string dataset)
    {
        var path = GetUnresolvedProviderPathFromPSPath(ReportPath);
        try
        {
            EvaluationReport.Write(path, result, new EvaluationReportInfo
            {
                Title = $"{string.Join(" vs ", result.Summaries.Select(s => s.Model))} on {dataset}",
                Dataset = dataset,
                PromptDescription = $"{Shots}-shot, {PromptStyle.ToString().ToLowerInvariant()} prompt, generation at temperature {Temperature.ToString(CultureInfo.InvariantCulture)}, exact match on the extracted answer",
                GeneratedAt = DateTimeOffset.Now,
            });
            WriteVerbose($"Report written to {path}");
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(e, "ReportNotWritten", ErrorCategory.WriteError, path));
        }
    }

    /// <summary>An input object's fields: a hashtable's entries or an object's properties (case-insensitive names).</summary>
    private static IDictionary<string, object?> Fields(PSObject input)
    {
        var fields = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (input.BaseObject is IDictionary map)
        {
            foreach (DictionaryEntry entry in map)
            {
                fields[Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? ""] = Plain(entry.Value);
            }

            return fields;
        }

        foreach (var property in input.Properties)
        {
            if (property.IsGettable && property.MemberType is PSMemberTypes.NoteProperty or PSMemberTypes.Property)
            {
                fields[property.Name] = Plain(property.Value);
            }
        }

        return fields;
    }

    private static object? Plain(object? value)
    {
        var unwrapped = value is PSObject wrapped ? wrapped.BaseObject : value;
        return unwrapped is object[] array ? array.Select(Plain).ToList() : unwrapped;
    }
}

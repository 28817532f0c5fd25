using BedrockImport.Engine.Errors;
using BedrockImport.Engine.Transfer.Upload;

namespace BedrockImport.Engine.Bedrock;

/// <summary>A listed model's summary, completed by GetImportedModel when that worked.</summary>
public sealed class CompletedImportedModel
{
    internal CompletedImportedModel(ImportedModel model, Exception? failure, bool deleted)
    {
        Model = model;
        Failure = failure;
        Deleted = deleted;
    }

    /// <summary>The full model, or the summary as listed when GetImportedModel failed.</summary>
    public ImportedModel Model { get; }

    /// <summary>Why GetImportedModel failed (other than the model being gone); null when it worked.</summary>
    public Exception? Failure { get; }

    /// <summary>The model was deleted between the listing and GetImportedModel.</summary>
    public bool Deleted { get; }
}

/// <summary>
/// ListImportedModels returns summaries without customModelUnits (and without the job, source and key): this gets each
/// listed model with GetImportedModel, a bounded number at once, through the caller's client and so its retry policy.
/// </summary>
public static class ImportedModelDetails
{
    public const int DefaultConcurrency = 8;

    /// <summary>In list order. A failure for one model is kept on its entry and never stops the others; cancellation does.</summary>
    public static async Task<IReadOnlyList<CompletedImportedModel>> CompleteAsync(IReadOnlyList<ImportedModel> listed,
        Func<string, CancellationToken, Task<ImportedModel>> getImportedModel, int concurrency, CancellationToken cancellationToken)
    {
        if (listed == null) throw new ArgumentNullException(nameof(listed));
        if (getImportedModel == null) throw new ArgumentNullException(nameof(getImportedModel));
        if (concurrency < 1) throw new ArgumentOutOfRangeException(nameof(concurrency), concurrency, "At least one call at a time.");

        var results = new CompletedImportedModel[listed.Count];
        var indexes = Enumerable.Range(0, listed.Count).ToList();
        await ParallelWork.ForEachAsync(indexes, concurrency, async (index, token) =>
        {
            var summary = listed[index];
            var identifier = summary.ModelArn ?? summary.ModelName;
            if (string.IsNullOrEmpty(identifier))
            {
                results[index] = new CompletedImportedModel(summary, new InvalidOperationException("The listed model has neither an ARN nor a name."), deleted: false);
                return;
            }

            try
            {
                results[index] = new CompletedImportedModel(await getImportedModel(identifier!, token).ConfigureAwait(false), null, deleted: false);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                var gone = e is IEngineError error && error.Kind == ErrorKind.NotFound;
                results[index] = new CompletedImportedModel(summary, gone ? null : e, gone);
            }
        }, cancellationToken).ConfigureAwait(false);
        return results;
    }
}

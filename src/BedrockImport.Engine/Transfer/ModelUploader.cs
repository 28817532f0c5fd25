using System.Diagnostics;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Transfer.Upload;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Transfer;

/// <summary>Uploads a model source (a local folder, a Hugging Face Hub repository) to S3: parallel multipart over all parts of
/// all files, a SHA-256 on every part, objects already there with the same content skipped, and every multipart upload of the
/// run aborted on failure or cancellation. A local folder's interrupted multipart uploads are resumed; a remote source is
/// streamed part by part (ranged reads into memory, re-opened on retry) without touching the local disk.</summary>
/// <remarks>The steps live in Transfer/Upload: ExistingObjectInspector (skip and resume), PartPump (the workers, with the
/// in-order whole-file hash), ObjectWriter (the S3 writes), UploadCleanup (nothing left behind), FileUpload (one file's state).</remarks>
public sealed class ModelUploader
{
    /// <summary>User metadata (x-amz-meta-bedrockimport-partsize) recording the part size, so a rerun can recompute
    /// the composite SHA-256 S3 holds for a multipart object.</summary>
    public const string PartSizeMetadataKey = UploadMetadata.PartSize;

    public const int DefaultConcurrency = 6;

    public async Task<UploadResult> UploadAsync(UploadRequest request, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        if (request == null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        var concurrency = request.Concurrency ?? DefaultConcurrency;
        if (concurrency < 1 || concurrency > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(request), concurrency, "Concurrency must be between 1 and 256.");
        }

        var log = request.Log ?? NullEngineLog.Instance;
        var clock = Stopwatch.StartNew();
        var include = request.FileFilter ?? ModelSourceFile.IsVisible;
        var listed = await request.Source.ListFilesAsync(cancellationToken).ConfigureAwait(false);
        var leftOut = listed.Where(file => ModelSourceFile.IsVisible(file.Path) && !include(file.Path)).Select(file => file.Path).ToList();
        if (leftOut.Count > 0)
        {
            log.Verbose($"Left out {leftOut.Count} file(s) the selection does not take: {string.Join(", ", leftOut.Take(20))}{(leftOut.Count > 20 ? ", ..." : "")}.");
        }

        var files = listed
            .Where(file => include(file.Path))
            .Select(file => new FileUpload(file, request.Destination.Append(file.Path), PartPlan.For(file.Length, request.PartSizeBytes)))
            .ToList();
        var tracker = new ProgressTracker(progress, files.Count, files.Sum(f => f.Size), clock);
        if (files.Count == 0)
        {
            log.Warning($"'{request.Source.Location}' has no files to upload.");
        }

        using var s3 = new S3Calls(request.Session, request.Retry ?? new RetryOptions(), log, concurrency + 4);
        var run = new UploadRun(s3, request, concurrency, tracker, log);
        try
        {
            await new ExistingObjectInspector(run).InspectAsync(files, cancellationToken).ConfigureAwait(false);
            await new PartPump(run).RunAsync(files, cancellationToken).ConfigureAwait(false);
            await run.Cleanup.SweepAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            await run.Cleanup.AbortOpenUploadsAsync().ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested && !(error is OperationCanceledException))
            {
                throw new OperationCanceledException("The upload was cancelled.", error, cancellationToken);
            }

            throw;
        }

        tracker.Report("Uploading", force: true);
        var details = files.Select(f => f.ToResult()).ToList();
        var result = new UploadResult(request.Destination.ToString(), files.Count, files.Sum(f => f.Size), details.Sum(d => d.BytesUploaded),
            files.Count(f => f.Skipped), clock.Elapsed, details)
        {
            HubCommit = (request.Source as HubRepositorySource)?.Revision?.Sha,
        };
        log.Verbose($"Uploaded {result.Files - result.Skipped} of {result.Files} files ({result.Uploaded} bytes sent, {result.Skipped} skipped) to {result.S3Uri} in {RetryPolicy.FormatDuration(result.Duration)}.");
        return result;
    }
}

using System.Collections.Concurrent;
using Amazon.S3.Model;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Transfer.Upload;

/// <summary>Keeps track of the multipart uploads of a run so that none is left behind: every upload created or resumed and not
/// completed is aborted on failure or cancellation, and after success the uploads of lost CreateMultipartUpload answers are swept.</summary>
internal sealed class UploadCleanup
{
    private static readonly TimeSpan AbortTimeout = TimeSpan.FromSeconds(30);

    private readonly UploadRun _run;
    /// <summary>Multipart uploads this run created or resumed and has not completed: aborted on failure.</summary>
    private readonly ConcurrentDictionary<string, FileUpload> _openUploads = new ConcurrentDictionary<string, FileUpload>();
    /// <summary>Keys whose CreateMultipartUpload failed at least once (an answer lost after S3 created the upload).</summary>
    private readonly ConcurrentDictionary<string, FileUpload> _keysToSweep = new ConcurrentDictionary<string, FileUpload>(StringComparer.Ordinal);

    public UploadCleanup(UploadRun run) => _run = run;

    /// <summary>A multipart upload of this run was created or resumed.</summary>
    public void Opened(string uploadId, FileUpload file) => _openUploads[uploadId] = file;

    public void Completed(string uploadId) => _openUploads.TryRemove(uploadId, out _);

    /// <summary>A CreateMultipartUpload attempt failed: the upload may exist even though its answer was lost.</summary>
    public void CreationFailed(FileUpload file) => _keysToSweep[file.Target.Key] = file;

    /// <summary>After success: aborts uploads left by a CreateMultipartUpload whose answer was lost (rare; only for keys
    /// whose creation was retried), so no upload of this run remains.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        if (_keysToSweep.IsEmpty)
        {
            return;
        }

        var leftovers = await InProgressUploads.ListAsync(_run, _keysToSweep.Values.ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var upload in leftovers.Values.SelectMany(list => list))
        {
            await AbortAsync(_keysToSweep[upload.Key].Target, upload.UploadId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Aborts every multipart upload of this run that is not complete, and those of CreateMultipartUpload calls
    /// whose answer never came back (a call in flight when the copy was stopped may still have created its upload). Runs
    /// after cancellation, so it uses its own short timeout instead of the caller's token; failures are logged, not thrown.</summary>
    public async Task AbortOpenUploadsAsync()
    {
        if (_openUploads.IsEmpty && _keysToSweep.IsEmpty)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(AbortTimeout);
        await Task.WhenAll(_openUploads.ToArray().Select(open => AbortLoggedAsync(open.Value.Target, open.Key, timeout.Token))).ConfigureAwait(false);
        if (_keysToSweep.IsEmpty)
        {
            return;
        }

        Dictionary<string, List<MultipartUpload>> leftovers;
        try
        {
            leftovers = await InProgressUploads.ListAsync(_run, _keysToSweep.Values.ToList(), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            _run.Log.Warning($"Could not look for multipart uploads created by requests that were cut short: {error.Message} "
                             + "A rerun of the copy resumes or aborts any it finds.");
            return;
        }

        await Task.WhenAll(leftovers.Values.SelectMany(list => list)
            .Select(upload => AbortLoggedAsync(_keysToSweep[upload.Key].Target, upload.UploadId, timeout.Token))).ConfigureAwait(false);
    }

    private async Task AbortLoggedAsync(S3Uri target, string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            await AbortAsync(target, uploadId, cancellationToken).ConfigureAwait(false);
            _openUploads.TryRemove(uploadId, out _);
        }
        catch (Exception error)
        {
            _run.Log.Warning($"Could not abort the multipart upload {uploadId} of {target}: {error.Message} "
                             + "Its parts stay billed until it is aborted (a rerun of the copy resumes or aborts it).");
        }
    }

    /// <summary>Aborts an upload left by an earlier run; a refusal is a warning, not a reason to fail this copy.</summary>
    public async Task AbortStaleAsync(S3Uri target, string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            await AbortAsync(target, uploadId, cancellationToken).ConfigureAwait(false);
        }
        catch (AwsServiceException error) when (error.StatusCode == 403)
        {
            _run.Log.Warning($"Could not abort the earlier multipart upload {uploadId} of {target}: {error.Message}");
        }
    }

    private async Task AbortAsync(S3Uri target, string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            await _run.S3.RunAsync("AbortMultipartUpload", target.ToString(), (client, token) => client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = _run.Bucket, Key = target.Key, UploadId = uploadId }, token), cancellationToken).ConfigureAwait(false);
        }
        catch (AwsServiceException gone) when (gone.ErrorCode == "NoSuchUpload")
        {
        }
    }
}

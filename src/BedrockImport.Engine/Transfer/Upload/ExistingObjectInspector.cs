using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Transfer.Upload;

/// <summary>What is already in S3 before anything is sent: objects with the file's size and content are skipped, and the
/// interrupted multipart uploads of the other files are resumed (a local source: the parts whose SHA-256 matches are reused)
/// or aborted.</summary>
internal sealed class ExistingObjectInspector
{
    private readonly UploadRun _run;

    public ExistingObjectInspector(UploadRun run) => _run = run;

    public async Task InspectAsync(IReadOnlyList<FileUpload> files, CancellationToken cancellationToken)
    {
        var inProgress = await InProgressUploads.ListAsync(_run, files, cancellationToken).ConfigureAwait(false);
        await ParallelWork.ForEachAsync(files, _run.Concurrency, async (file, token) =>
        {
            inProgress.TryGetValue(file.Target.Key, out var uploads);
            if (await IsAlreadyUploadedAsync(file, token).ConfigureAwait(false))
            {
                file.Skip();
                _run.Tracker.FileSkipped(file.Size);
                foreach (var upload in uploads ?? new List<MultipartUpload>())
                {
                    await _run.Cleanup.AbortStaleAsync(file.Target, upload.UploadId, token).ConfigureAwait(false);
                }
            }
            else if (uploads != null)
            {
                await ResumeOrAbortAsync(file, uploads, token).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when the object exists with the file's size and the content the source gives: the SHA-256 (full or
    /// composite) recomputed from a local file, or the content hash a remote source's metadata records.</summary>
    private async Task<bool> IsAlreadyUploadedAsync(FileUpload file, CancellationToken cancellationToken)
    {
        GetObjectMetadataResponse head;
        try
        {
            head = await _run.HeadObjectAsync(file.Target, cancellationToken).ConfigureAwait(false);
        }
        catch (AwsServiceException missing) when (missing.StatusCode == 404)
        {
            return false;
        }
        catch (AwsServiceException forbidden) when (forbidden.StatusCode == 403)
        {
            // HEAD answers carry no error code; a real credential problem surfaces on the upload itself.
            _run.Log.Verbose($"HeadObject on {file.Target} was refused (HTTP 403; s3:GetObject is needed to skip files already uploaded): uploading it.");
            return false;
        }

        if (head.ContentLength != file.Size)
        {
            _run.Log.Verbose($"{file.Target} exists with {head.ContentLength} bytes; the source file has {file.Size}: uploading it again.");
            return false;
        }

        return _run.Source.IsLocal
            ? await MatchesLocalContentAsync(file, head, cancellationToken).ConfigureAwait(false)
            : MatchesRecordedContent(file, head);
    }

    /// <summary>Re-reading a remote file to compare it would cost as much as copying it again: compares what the metadata records.
    /// An LFS file: the stored SHA-256 equals the LFS one. Another (small) file: the stored git blob id equals the file's.</summary>
    private bool MatchesRecordedContent(FileUpload file, GetObjectMetadataResponse head)
    {
        var source = file.File;
        var matches = source.Sha256 != null
            ? string.Equals(head.Metadata[UploadMetadata.Sha256], source.Sha256, StringComparison.OrdinalIgnoreCase)
            : source.GitBlobId != null && string.Equals(head.Metadata[UploadMetadata.HubBlobId], source.GitBlobId, StringComparison.OrdinalIgnoreCase);
        _run.Log.Verbose(matches
            ? $"{file.Target} is already copied (same size and {(source.Sha256 != null ? "SHA-256" : "git blob id")}): skipped."
            : $"{file.Target} exists with the same size but its metadata does not record this file's content: copying it again.");
        return matches;
    }

    private async Task<bool> MatchesLocalContentAsync(FileUpload file, GetObjectMetadataResponse head, CancellationToken cancellationToken)
    {
        var remote = head.ChecksumSHA256;
        if (string.IsNullOrEmpty(remote))
        {
            _run.Log.Verbose($"{file.Target} exists with the same size but without a SHA-256 checksum: uploading it again.");
            return false;
        }

        var plan = file.Plan;
        var multipart = remote.LastIndexOf('-') > 0;
        if (multipart)
        {
            var partSizeText = head.Metadata[UploadMetadata.PartSize];
            if (!long.TryParse(partSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var partSize) || partSize <= 0)
            {
                _run.Log.Verbose($"{file.Target} exists with a composite checksum but no {UploadMetadata.PartSize} metadata: uploading it again.");
                return false;
            }

            plan = new PartPlan(file.Size, partSize);
        }

        var local = await Sha256Checksums.ComputeForFileAsync(_run.Source, file.File.Path, plan, multipart, cancellationToken, _run.Tracker.BytesChecked)
            .ConfigureAwait(false);
        if (!string.Equals(local, remote, StringComparison.Ordinal))
        {
            _run.Log.Verbose($"{file.Target} exists with the same size but a different SHA-256: uploading it again.");
            return false;
        }

        _run.Log.Verbose($"{file.Target} is already uploaded (same size and SHA-256): skipped.");
        return true;
    }

    /// <summary>Resumes the newest interrupted upload of this key whose parts fit the plan (reusing the parts whose size and
    /// SHA-256 match the local file); aborts the others.</summary>
    private async Task ResumeOrAbortAsync(FileUpload file, List<MultipartUpload> uploads, CancellationToken cancellationToken)
    {
        foreach (var upload in uploads.OrderByDescending(u => u.Initiated ?? DateTime.MinValue))
        {
            // A remote source's parts cannot be checked without downloading them: its interrupted uploads are aborted.
            if (file.UploadId == null && file.Plan.IsMultipart && _run.Source.IsLocal)
            {
                var parts = await ListPartsAsync(file.Target, upload.UploadId, cancellationToken).ConfigureAwait(false);
                if (parts != null && await TryResumeAsync(file, upload.UploadId, parts, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }
            }

            await _run.Cleanup.AbortStaleAsync(file.Target, upload.UploadId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The parts of an upload; null when they carry no SHA-256 (they cannot be checked against the file).</summary>
    private async Task<List<PartDetail>?> ListPartsAsync(S3Uri target, string uploadId, CancellationToken cancellationToken)
    {
        var parts = new List<PartDetail>();
        int? marker = null;
        while (true)
        {
            var page = await _run.S3.RunAsync("ListParts", target.ToString(), (client, token) => client.ListPartsAsync(
                new ListPartsRequest { BucketName = _run.Bucket, Key = target.Key, UploadId = uploadId, PartNumberMarker = marker?.ToString(CultureInfo.InvariantCulture) },
                token), cancellationToken).ConfigureAwait(false);
            if (page.ChecksumAlgorithm != ChecksumAlgorithm.SHA256)
            {
                return null;
            }

            parts.AddRange(page.Parts ?? new List<PartDetail>());
            if (page.IsTruncated != true || page.NextPartNumberMarker == null || page.NextPartNumberMarker == marker)
            {
                return parts;
            }

            marker = page.NextPartNumberMarker;
        }
    }

    private async Task<bool> TryResumeAsync(FileUpload file, string uploadId, List<PartDetail> parts, CancellationToken cancellationToken)
    {
        var plan = file.Plan;
        foreach (var part in parts)
        {
            var number = part.PartNumber ?? 0;
            var fitsPlan = number >= 1 && number <= plan.PartCount
                           && (number == plan.PartCount ? part.Size == plan.PartLength(number) : part.Size == plan.PartSize);
            if (!fitsPlan)
            {
                _run.Log.Verbose($"The interrupted upload of {file.Target} used another part layout: aborting it and starting again.");
                return false;
            }
        }

        var reused = 0;
        foreach (var part in parts)
        {
            var number = part.PartNumber!.Value;
            var digest = await Sha256Checksums.ComputeRangeAsync(_run.Source, file.File.Path, plan.PartOffset(number), plan.PartLength(number), cancellationToken)
                .ConfigureAwait(false);
            if (string.Equals(Convert.ToBase64String(digest), part.ChecksumSHA256, StringComparison.Ordinal))
            {
                file.ReusePart(number, digest, part.ETag);
                _run.Tracker.PartReused(plan.PartLength(number));
                reused++;
            }
        }

        file.Resume(uploadId);
        _run.Cleanup.Opened(uploadId, file);
        _run.Log.Verbose($"Resuming the interrupted upload of {file.Target}: {reused} of {plan.PartCount} parts are already there.");
        return true;
    }
}

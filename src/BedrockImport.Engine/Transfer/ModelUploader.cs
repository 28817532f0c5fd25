using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Transfer
{
    /// <summary>Uploads a local folder or a Hugging Face Hub repository to S3: parallel multipart over all parts of all files,
    /// a SHA-256 on every part, objects already there with the same content skipped, and every multipart upload of the run
    /// aborted on failure or cancellation. A local folder's interrupted multipart uploads are resumed; a Hub repository is
    /// streamed part by part (ranged GETs into memory, re-opened on retry) without touching the local disk.</summary>
    public sealed class ModelUploader
    {
        /// <summary>User metadata (x-amz-meta-bedrockimport-partsize) recording the part size, so a rerun can recompute
        /// the composite SHA-256 S3 holds for a multipart object.</summary>
        public const string PartSizeMetadataKey = UploadMetadata.PartSize;

        public const int DefaultConcurrency = 6;

        private static readonly TimeSpan AbortTimeout = TimeSpan.FromSeconds(30);

        /// <summary>Same as UploadAsync (kept for callers written before Hub sources).</summary>
        public Task<UploadResult> UploadFolderAsync(UploadRequest request, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
            => UploadAsync(request, progress, cancellationToken);

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
            IUploadSource source = request.HubSource != null
                ? new HubUploadSource(request.HubSource, request.FileFilter)
                : new LocalFolderUploadSource(request.LocalFolder!, request.FileFilter);
            var files = (await source.ListFilesAsync(cancellationToken).ConfigureAwait(false))
                .Select(file => new FileUpload(file, request.Destination.Append(file.RelativePath), PartPlan.For(file.Size, request.PartSizeBytes)))
                .ToList();
            var tracker = new ProgressTracker(progress, files.Count, files.Sum(f => f.File.Size), clock);
            if (files.Count == 0)
            {
                log.Warning($"'{source.Location}' has no files to upload.");
            }

            using var s3 = new S3Calls(request.Session, request.Retry ?? new RetryOptions(), log, concurrency + 4);
            var run = new Run(s3, request, source, concurrency, tracker, log);
            try
            {
                await run.CheckAsync(files, cancellationToken).ConfigureAwait(false);
                await run.UploadAsync(files, cancellationToken).ConfigureAwait(false);
                await run.SweepAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                await run.AbortOpenUploadsAsync().ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested && !(error is OperationCanceledException))
                {
                    throw new OperationCanceledException("The upload was cancelled.", error, cancellationToken);
                }

                throw;
            }

            tracker.Report("Uploading", force: true);
            var details = files.Select(f => new UploadedFile(f.File.RelativePath, f.Target.ToString(), f.File.Size, f.BytesUploaded,
                f.Plan.IsMultipart ? f.Plan.PartCount : 1, f.Plan.PartSize, f.Skipped ? UploadedFileAction.Skipped : UploadedFileAction.Uploaded)).ToList();
            var result = new UploadResult(request.Destination.ToString(), files.Count, files.Sum(f => f.File.Size), details.Sum(d => d.BytesUploaded),
                files.Count(f => f.Skipped), clock.Elapsed, details);
            log.Verbose($"Uploaded {result.Files - result.Skipped} of {result.Files} files ({result.Uploaded} bytes sent, {result.Skipped} skipped) to {result.S3Uri} in {RetryPolicy.FormatDuration(result.Duration)}.");
            return result;
        }

        /// <summary>One file's state during a run.</summary>
        private sealed class FileUpload
        {
            public FileUpload(SourceFile file, S3Uri target, PartPlan plan)
            {
                File = file;
                Target = target;
                Plan = plan;
                PartDigests = new byte[plan.PartCount][];
                PartETags = new string[plan.PartCount];
            }

            public SourceFile File { get; }
            public S3Uri Target { get; }
            public PartPlan Plan { get; }
            public bool Skipped { get; set; }
            private volatile string? _uploadId;
            public string? UploadId { get => _uploadId; set => _uploadId = value; }
            public byte[]?[] PartDigests { get; }
            public string?[] PartETags { get; }
            public int PartsLeft;
            public int Announced;
            public int PartsToSend;
            public long BytesUploadedField;
            public long BytesUploaded => Interlocked.Read(ref BytesUploadedField);
            public readonly SemaphoreSlim CreateLock = new SemaphoreSlim(1, 1);

            /// <summary>The whole-file SHA-256, fed part by part in order, when every part is read in this run and the source
            /// published the file's SHA-256 (Hub LFS files); null otherwise.</summary>
            public System.Security.Cryptography.IncrementalHash? WholeHash;
            /// <summary>Completed when part n+1 has been added to WholeHash.</summary>
            public TaskCompletionSource<bool>[]? PartHashed;
        }

        private readonly struct Job
        {
            public Job(FileUpload file, int partNumber)
            {
                File = file;
                PartNumber = partNumber;
            }

            public FileUpload File { get; }
            /// <summary>0 = the whole file with one PutObject.</summary>
            public int PartNumber { get; }
        }

        private sealed class Run
        {
            private readonly S3Calls _s3;
            private readonly UploadRequest _request;
            private readonly IUploadSource _source;
            private readonly int _concurrency;
            private readonly ProgressTracker _tracker;
            private readonly IEngineLog _log;
            /// <summary>Multipart uploads this run created or resumed and has not completed: aborted on failure.</summary>
            private readonly ConcurrentDictionary<string, FileUpload> _openUploads = new ConcurrentDictionary<string, FileUpload>();
            /// <summary>Keys whose CreateMultipartUpload failed at least once (an answer lost after S3 created the upload).</summary>
            private readonly ConcurrentDictionary<string, FileUpload> _keysToSweep = new ConcurrentDictionary<string, FileUpload>(StringComparer.Ordinal);

            public Run(S3Calls s3, UploadRequest request, IUploadSource source, int concurrency, ProgressTracker tracker, IEngineLog log)
            {
                _s3 = s3;
                _request = request;
                _source = source;
                _concurrency = concurrency;
                _tracker = tracker;
                _log = log;
            }

            private string Bucket => _request.Destination.Bucket;

            // ---- checking: what is already there ----

            public async Task CheckAsync(IReadOnlyList<FileUpload> files, CancellationToken cancellationToken)
            {
                var inProgress = await ListUploadsAsync(files, cancellationToken).ConfigureAwait(false);
                await ForEachAsync(files, async (file, token) =>
                {
                    file.Skipped = await IsAlreadyUploadedAsync(file, token).ConfigureAwait(false);
                    inProgress.TryGetValue(file.Target.Key, out var uploads);
                    if (file.Skipped)
                    {
                        _tracker.FileSkipped(file.File.Size);
                        foreach (var upload in uploads ?? new List<MultipartUpload>())
                        {
                            await AbortStaleAsync(file.Target, upload.UploadId, token).ConfigureAwait(false);
                        }
                    }
                    else if (uploads != null)
                    {
                        await ResumeOrAbortAsync(file, uploads, token).ConfigureAwait(false);
                    }
                }, cancellationToken).ConfigureAwait(false);
            }

            /// <summary>Multipart uploads in progress for the keys of these files (from any earlier run).</summary>
            private async Task<Dictionary<string, List<MultipartUpload>>> ListUploadsAsync(IReadOnlyList<FileUpload> files, CancellationToken cancellationToken)
            {
                var keys = new HashSet<string>(files.Select(f => f.Target.Key), StringComparer.Ordinal);
                var found = new Dictionary<string, List<MultipartUpload>>(StringComparer.Ordinal);
                if (keys.Count == 0)
                {
                    return found;
                }

                var prefix = _request.Destination.FolderPrefix;
                string? keyMarker = null, uploadIdMarker = null;
                while (true)
                {
                    ListMultipartUploadsResponse page;
                    try
                    {
                        page = await _s3.RunAsync("ListMultipartUploads", $"s3://{Bucket}/{prefix}", (client, token) => client.ListMultipartUploadsAsync(
                            new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = prefix, KeyMarker = keyMarker, UploadIdMarker = uploadIdMarker }, token),
                            cancellationToken).ConfigureAwait(false);
                    }
                    catch (AwsServiceException denied) when (denied.ErrorCode == "AccessDenied")
                    {
                        _log.Warning($"Cannot list the multipart uploads under s3://{Bucket}/{prefix} ({denied.Message}); "
                                     + "uploads left by an interrupted copy are neither resumed nor aborted (s3:ListBucketMultipartUploads is needed for that).");
                        return found;
                    }
                    catch (AwsServiceException unsupported) when (unsupported.StatusCode == 501 || unsupported.StatusCode == 405)
                    {
                        // S3-compatible stores that lack the operation (s3rver, some appliances): copy without resuming.
                        _log.Warning($"This S3 endpoint does not support ListMultipartUploads ({unsupported.ErrorCode}); "
                                     + "uploads left by an interrupted copy are neither resumed nor aborted.");
                        return found;
                    }

                    foreach (var upload in page.MultipartUploads ?? new List<MultipartUpload>())
                    {
                        if (keys.Contains(upload.Key))
                        {
                            if (!found.TryGetValue(upload.Key, out var list))
                            {
                                found[upload.Key] = list = new List<MultipartUpload>();
                            }

                            list.Add(upload);
                        }
                    }

                    if (page.IsTruncated != true || (page.NextKeyMarker == keyMarker && page.NextUploadIdMarker == uploadIdMarker))
                    {
                        return found;
                    }

                    keyMarker = page.NextKeyMarker;
                    uploadIdMarker = page.NextUploadIdMarker;
                }
            }

            /// <summary>True when the object exists with the file's size and the SHA-256 (full or composite) the file gives.</summary>
            private async Task<bool> IsAlreadyUploadedAsync(FileUpload file, CancellationToken cancellationToken)
            {
                GetObjectMetadataResponse head;
                try
                {
                    head = await _s3.RunAsync("HeadObject", file.Target.ToString(), (client, token) => client.GetObjectMetadataAsync(
                        new GetObjectMetadataRequest { BucketName = Bucket, Key = file.Target.Key, ChecksumMode = ChecksumMode.ENABLED }, token),
                        cancellationToken).ConfigureAwait(false);
                }
                catch (AwsServiceException missing) when (missing.StatusCode == 404)
                {
                    return false;
                }
                catch (AwsServiceException forbidden) when (forbidden.StatusCode == 403)
                {
                    // HEAD answers carry no error code; a real credential problem surfaces on the upload itself.
                    _log.Verbose($"HeadObject on {file.Target} was refused (HTTP 403; s3:GetObject is needed to skip files already uploaded): uploading it.");
                    return false;
                }

                if (head.ContentLength != file.File.Size)
                {
                    _log.Verbose($"{file.Target} exists with {head.ContentLength} bytes; the source file has {file.File.Size}: uploading it again.");
                    return false;
                }

                if (!_source.IsLocal)
                {
                    // Re-reading a remote file to compare it would cost as much as copying it again: compare what the metadata records.
                    if (_source.MatchesMetadata(file.File, key => head.Metadata[key]))
                    {
                        _log.Verbose($"{file.Target} is already copied (same size and {(file.File.Sha256Hex != null ? "SHA-256" : "git blob id")}): skipped.");
                        return true;
                    }

                    _log.Verbose($"{file.Target} exists with the same size but its metadata does not record this file's content: copying it again.");
                    return false;
                }

                var remote = head.ChecksumSHA256;
                if (string.IsNullOrEmpty(remote))
                {
                    _log.Verbose($"{file.Target} exists with the same size but without a SHA-256 checksum: uploading it again.");
                    return false;
                }

                string local;
                var dash = remote.LastIndexOf('-');
                if (dash > 0)
                {
                    var partSizeText = head.Metadata[PartSizeMetadataKey];
                    if (!long.TryParse(partSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var partSize) || partSize <= 0)
                    {
                        _log.Verbose($"{file.Target} exists with a composite checksum but no {PartSizeMetadataKey} metadata: uploading it again.");
                        return false;
                    }

                    local = await Sha256Checksums.ComputeForFileAsync(file.File.LocalPath!, new PartPlan(file.File.Size, partSize), multipart: true, cancellationToken,
                        _tracker.BytesChecked).ConfigureAwait(false);
                }
                else
                {
                    local = await Sha256Checksums.ComputeForFileAsync(file.File.LocalPath!, file.Plan, multipart: false, cancellationToken,
                        _tracker.BytesChecked).ConfigureAwait(false);
                }

                if (!string.Equals(local, remote, StringComparison.Ordinal))
                {
                    _log.Verbose($"{file.Target} exists with the same size but a different SHA-256: uploading it again.");
                    return false;
                }

                _log.Verbose($"{file.Target} is already uploaded (same size and SHA-256): skipped.");
                return true;
            }

            /// <summary>Resumes the newest interrupted upload of this key whose parts fit the plan (reusing the parts whose size and
            /// SHA-256 match the local file); aborts the others.</summary>
            private async Task ResumeOrAbortAsync(FileUpload file, List<MultipartUpload> uploads, CancellationToken cancellationToken)
            {
                foreach (var upload in uploads.OrderByDescending(u => u.Initiated ?? DateTime.MinValue))
                {
                    // A remote source's parts cannot be checked without downloading them: its interrupted uploads are aborted.
                    if (file.UploadId == null && file.Plan.IsMultipart && _source.IsLocal)
                    {
                        var parts = await ListPartsAsync(file.Target, upload.UploadId, cancellationToken).ConfigureAwait(false);
                        if (parts != null && await TryResumeAsync(file, upload.UploadId, parts, cancellationToken).ConfigureAwait(false))
                        {
                            continue;
                        }
                    }

                    await AbortStaleAsync(file.Target, upload.UploadId, cancellationToken).ConfigureAwait(false);
                }
            }

            /// <summary>Aborts an upload left by an earlier run; a refusal is a warning, not a reason to fail this copy.</summary>
            private async Task AbortStaleAsync(S3Uri target, string uploadId, CancellationToken cancellationToken)
            {
                try
                {
                    await AbortAsync(target, uploadId, cancellationToken).ConfigureAwait(false);
                }
                catch (AwsServiceException error) when (error.StatusCode == 403)
                {
                    _log.Warning($"Could not abort the earlier multipart upload {uploadId} of {target}: {error.Message}");
                }
            }

            private async Task<List<PartDetail>?> ListPartsAsync(S3Uri target, string uploadId, CancellationToken cancellationToken)
            {
                var parts = new List<PartDetail>();
                int? marker = null;
                while (true)
                {
                    var page = await _s3.RunAsync("ListParts", target.ToString(), (client, token) => client.ListPartsAsync(
                        new ListPartsRequest { BucketName = Bucket, Key = target.Key, UploadId = uploadId, PartNumberMarker = marker?.ToString(CultureInfo.InvariantCulture) },
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
                        _log.Verbose($"The interrupted upload of {file.Target} used another part layout: aborting it and starting again.");
                        return false;
                    }
                }

                var reused = 0;
                foreach (var part in parts)
                {
                    var number = part.PartNumber!.Value;
                    var digest = await Sha256Checksums.ComputeRangeAsync(file.File.LocalPath!, plan.PartOffset(number), plan.PartLength(number), cancellationToken).ConfigureAwait(false);
                    if (string.Equals(Convert.ToBase64String(digest), part.ChecksumSHA256, StringComparison.Ordinal))
                    {
                        file.PartDigests[number - 1] = digest;
                        file.PartETags[number - 1] = part.ETag;
                        _tracker.PartReused(plan.PartLength(number));
                        reused++;
                    }
                }

                file.UploadId = uploadId;
                _openUploads[uploadId] = file;
                _log.Verbose($"Resuming the interrupted upload of {file.Target}: {reused} of {plan.PartCount} parts are already there.");
                return true;
            }

            // ---- uploading ----

            public async Task UploadAsync(IReadOnlyList<FileUpload> files, CancellationToken cancellationToken)
            {
                var jobs = new List<Job>();
                foreach (var file in files.Where(f => !f.Skipped))
                {
                    if (!file.Plan.IsMultipart)
                    {
                        jobs.Add(new Job(file, 0));
                        continue;
                    }

                    var missing = Enumerable.Range(1, file.Plan.PartCount).Where(n => file.PartDigests[n - 1] == null).ToList();
                    file.PartsLeft = missing.Count;
                    file.PartsToSend = missing.Count;
                    if (!_source.IsLocal && file.File.Sha256Hex != null && missing.Count == file.Plan.PartCount)
                    {
                        file.WholeHash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
                        file.PartHashed = Enumerable.Range(0, file.Plan.PartCount)
                            .Select(_ => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
                    }
                    if (missing.Count == 0)
                    {
                        jobs.Add(new Job(file, -1));
                    }

                    jobs.AddRange(missing.Select(n => new Job(file, n)));
                }

                var next = -1;
                using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var workers = Enumerable.Range(0, Math.Min(_concurrency, Math.Max(1, jobs.Count))).Select(_ => Task.Run(async () =>
                {
                    byte[]? buffer = null;
                    try
                    {
                        int index;
                        while ((index = Interlocked.Increment(ref next)) < jobs.Count)
                        {
                            failed.Token.ThrowIfCancellationRequested();
                            buffer = await RunJobAsync(jobs[index], buffer, failed.Token).ConfigureAwait(false);
                        }
                    }
                    catch
                    {
                        failed.Cancel();
                        throw;
                    }
                })).ToList();

                try
                {
                    await Task.WhenAll(workers).ConfigureAwait(false);
                }
                catch
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var first = workers.Where(w => w.IsFaulted).Select(w => w.Exception!.InnerException!)
                        .FirstOrDefault(e => !(e is OperationCanceledException)) ?? workers.First(w => w.IsFaulted || w.IsCanceled).Exception?.InnerException;
                    if (first != null)
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
                    }

                    throw;
                }
            }

            /// <returns>The worker's buffer (grown when the job needed a larger one).</returns>
            private async Task<byte[]?> RunJobAsync(Job job, byte[]? buffer, CancellationToken cancellationToken)
            {
                var file = job.File;
                if (job.PartNumber == -1)
                {
                    await CompleteAsync(file, cancellationToken).ConfigureAwait(false);
                    return buffer;
                }

                var offset = job.PartNumber == 0 ? 0 : file.Plan.PartOffset(job.PartNumber);
                var length = job.PartNumber == 0 ? file.File.Size : file.Plan.PartLength(job.PartNumber);
                if (buffer == null || buffer.Length < length)
                {
                    // One buffer per worker for the whole run, exactly one part long (ArrayPool would round 10 MiB up to 16 MiB):
                    // memory stays at Concurrency x part size.
                    buffer = NewBuffer((int)Math.Max(length, 1));
                }

                _tracker.FileStarted(file.File.RelativePath);
                try
                {
                    await ReadPartAsync(file, job.PartNumber, offset, buffer, (int)length, cancellationToken).ConfigureAwait(false);
                    var digest = Sha256Checksums.Digest(buffer, 0, (int)length);
                    if (job.PartNumber == 0)
                    {
                        VerifyWholeFile(file, digest);
                        await PutObjectAsync(file, buffer, (int)length, digest, cancellationToken).ConfigureAwait(false);
                        Interlocked.Add(ref file.BytesUploadedField, length);
                        _tracker.BytesUploaded(length);
                        _tracker.FileDone();
                        return buffer;
                    }

                    await EnsureUploadCreatedAsync(file, cancellationToken).ConfigureAwait(false);
                    if (Interlocked.Exchange(ref file.Announced, 1) == 0)
                    {
                        _s3.LogOperation("UploadPart", file.Target.ToString(),
                            $"{file.PartsToSend} of {file.Plan.PartCount} parts of {file.Plan.PartSize} bytes, up to {_concurrency} in parallel (one line per file; retries are logged)");
                    }

                    if (file.WholeHash != null)
                    {
                        await HashInOrderAsync(file, job.PartNumber, buffer, (int)length, cancellationToken).ConfigureAwait(false);
                    }

                    var etag = await UploadPartAsync(file, job.PartNumber, buffer, (int)length, digest, cancellationToken).ConfigureAwait(false);
                    file.PartDigests[job.PartNumber - 1] = digest;
                    file.PartETags[job.PartNumber - 1] = etag;
                    Interlocked.Add(ref file.BytesUploadedField, length);
                    _tracker.BytesUploaded(length);
                    if (Interlocked.Decrement(ref file.PartsLeft) == 0)
                    {
                        await CompleteAsync(file, cancellationToken).ConfigureAwait(false);
                    }

                    return buffer;
                }
                finally
                {
                    _tracker.FileStopped(file.File.RelativePath);
                }
            }

            private static byte[] NewBuffer(int length)
            {
#if NET5_0_OR_GREATER
                return GC.AllocateUninitializedArray<byte>(length);
#else
                return new byte[length];
#endif
            }

            /// <summary>Fills buffer with one part. A local file is read once (a failure there is not transient); a remote range is
            /// re-opened on every retry of the one RetryPolicy (a connection lost mid-part is an IOException, hence transient).</summary>
            private Task ReadPartAsync(FileUpload file, int partNumber, long offset, byte[] buffer, int length, CancellationToken cancellationToken)
            {
                if (_source.IsLocal)
                {
                    return ReadRangeAsync(file, offset, buffer, length, cancellationToken);
                }

                var what = partNumber == 0 ? file.File.RelativePath : $"{file.File.RelativePath} part {partNumber}";
                return _s3.Policy.ExecuteAsync($"reading {what} from {_source.Location}",
                    token => ReadRangeAsync(file, offset, buffer, length, token), cancellationToken);
            }

            private async Task ReadRangeAsync(FileUpload file, long offset, byte[] buffer, int length, CancellationToken cancellationToken)
            {
                using var stream = await _source.OpenRangeAsync(file.File, offset, length, cancellationToken).ConfigureAwait(false);
                var done = 0;
                while (done < length)
                {
                    var read = await stream.ReadAsync(buffer, done, length - done, cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new IOException(_source.IsLocal
                            ? $"The file '{file.File.LocalPath}' became shorter while it was being uploaded."
                            : $"The answer for bytes {offset}-{offset + length - 1} of '{file.File.RelativePath}' ended after {done} bytes.");
                    }

                    done += read;
                }
            }

            /// <summary>Adds a part to the file's whole SHA-256 once the parts before it are in, and checks the result after the last
            /// part, before it is uploaded (so a mismatch aborts the upload instead of completing it). Jobs are taken in part order,
            /// so the part waited for is already held by another worker, which never waits for a later part: no deadlock. A worker
            /// waits at most about one part's read time, holding its buffer (memory stays Concurrency x part size).</summary>
            private async Task HashInOrderAsync(FileUpload file, int partNumber, byte[] buffer, int length, CancellationToken cancellationToken)
            {
                if (partNumber > 1)
                {
                    await WaitAsync(file.PartHashed![partNumber - 2].Task, cancellationToken).ConfigureAwait(false);
                }

                file.WholeHash!.AppendData(buffer, 0, length);
                if (partNumber == file.Plan.PartCount)
                {
                    var whole = file.WholeHash.GetHashAndReset();
                    file.WholeHash.Dispose();
                    VerifyWholeFile(file, whole);
                }

                file.PartHashed![partNumber - 1].TrySetResult(true);
            }

            private static async Task WaitAsync(Task task, CancellationToken cancellationToken)
            {
                if (!task.IsCompleted)
                {
                    var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    using (cancellationToken.Register(() => cancelled.TrySetCanceled(cancellationToken)))
                    {
                        await (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false)).ConfigureAwait(false);
                        return;
                    }
                }

                await task.ConfigureAwait(false);
            }

            /// <summary>Checks a whole-file digest against the SHA-256 the source published (Hub LFS files): the digest of a file sent
            /// with one PutObject, or the in-order hash of a multipart file's parts.</summary>
            private void VerifyWholeFile(FileUpload file, byte[] digest)
            {
                var expected = file.File.Sha256Hex;
                if (expected != null && !string.Equals(Sha256Checksums.Hex(digest), expected, StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidDataException($"The bytes read for '{file.File.RelativePath}' from {_source.Location} do not match its published SHA-256 {expected}.");
                }
            }

            private bool UnsignedPayload => _s3.Client.Config.ServiceURL == null
                                            || _s3.Client.Config.ServiceURL.StartsWith("https:", StringComparison.OrdinalIgnoreCase);

            private async Task PutObjectAsync(FileUpload file, byte[] buffer, int length, byte[] digest, CancellationToken cancellationToken)
            {
                var checksum = Convert.ToBase64String(digest);
                await _s3.RunAsync("PutObject", file.Target.ToString(), (client, token) =>
                {
                    var put = new PutObjectRequest
                    {
                        BucketName = Bucket,
                        Key = file.Target.Key,
                        InputStream = new MemoryStream(buffer, 0, length, writable: false),
                        AutoCloseStream = true,
                        ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
                        ChecksumSHA256 = checksum,
                        UseChunkEncoding = false,
                        DisablePayloadSigning = UnsignedPayload,
                        ContentType = "application/octet-stream",
                    };
                    put.Metadata[PartSizeMetadataKey] = file.Plan.PartSize.ToString(CultureInfo.InvariantCulture);
                    foreach (var entry in _source.MetadataFor(file.File))
                    {
                        put.Metadata[entry.Key] = entry.Value;
                    }

                    ApplyEncryption(put);
                    return client.PutObjectAsync(put, token);
                }, cancellationToken).ConfigureAwait(false);
            }

            private void ApplyEncryption(PutObjectRequest put)
            {
                if (_request.KmsKeyId != null)
                {
                    put.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                    put.ServerSideEncryptionKeyManagementServiceKeyId = _request.KmsKeyId;
                }
            }

            private async Task EnsureUploadCreatedAsync(FileUpload file, CancellationToken cancellationToken)
            {
                if (file.UploadId != null)
                {
                    return;
                }

                await file.CreateLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (file.UploadId != null)
                    {
                        return;
                    }

                    var create = new InitiateMultipartUploadRequest
                    {
                        BucketName = Bucket,
                        Key = file.Target.Key,
                        ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
                        ContentType = "application/octet-stream",
                    };
                    create.Metadata[PartSizeMetadataKey] = file.Plan.PartSize.ToString(CultureInfo.InvariantCulture);
                    foreach (var entry in _source.MetadataFor(file.File))
                    {
                        create.Metadata[entry.Key] = entry.Value;
                    }

                    if (_request.KmsKeyId != null)
                    {
                        create.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                        create.ServerSideEncryptionKeyManagementServiceKeyId = _request.KmsKeyId;
                    }

                    var created = await _s3.RunAsync("CreateMultipartUpload", file.Target.ToString(), async (client, token) =>
                    {
                        try
                        {
                            return await client.InitiateMultipartUploadAsync(create, token).ConfigureAwait(false);
                        }
                        catch
                        {
                            // The upload may exist even though its answer was lost: sweep this key's uploads at the end.
                            _keysToSweep[file.Target.Key] = file;
                            throw;
                        }
                    }, cancellationToken).ConfigureAwait(false);
                    _openUploads[created.UploadId] = file;
                    file.UploadId = created.UploadId;
                }
                finally
                {
                    file.CreateLock.Release();
                }
            }

            private async Task<string> UploadPartAsync(FileUpload file, int partNumber, byte[] buffer, int length, byte[] digest, CancellationToken cancellationToken)
            {
                var checksum = Convert.ToBase64String(digest);
                var response = await _s3.RunAsync("UploadPart", $"{file.Target} part {partNumber}", (client, token) => client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = Bucket,
                    Key = file.Target.Key,
                    UploadId = file.UploadId,
                    PartNumber = partNumber,
                    PartSize = length,
                    InputStream = new MemoryStream(buffer, 0, length, writable: false),
                    ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
                    ChecksumSHA256 = checksum,
                    UseChunkEncoding = false,
                    DisablePayloadSigning = UnsignedPayload,
                }, token), cancellationToken, logCall: false).ConfigureAwait(false);
                return response.ETag;
            }

            private async Task CompleteAsync(FileUpload file, CancellationToken cancellationToken)
            {
                var expected = Sha256Checksums.Composite(file.PartDigests.Select(d => d!).ToArray());
                var complete = new CompleteMultipartUploadRequest { BucketName = Bucket, Key = file.Target.Key, UploadId = file.UploadId, PartETags = new List<PartETag>() };
                for (var number = 1; number <= file.Plan.PartCount; number++)
                {
                    complete.PartETags.Add(new PartETag
                    {
                        PartNumber = number,
                        ETag = file.PartETags[number - 1],
                        ChecksumSHA256 = Convert.ToBase64String(file.PartDigests[number - 1]!),
                    });
                }

                var attempts = 0;
                string? reported;
                try
                {
                    var response = await _s3.RunAsync("CompleteMultipartUpload", file.Target.ToString(), (client, token) =>
                    {
                        attempts++;
                        return client.CompleteMultipartUploadAsync(complete, token);
                    }, cancellationToken).ConfigureAwait(false);
                    reported = response.ChecksumSHA256;
                }
                catch (AwsServiceException gone) when (gone.ErrorCode == "NoSuchUpload" && attempts > 1)
                {
                    // An earlier attempt completed the upload but its answer was lost: accept the object if it is ours.
                    var head = await _s3.RunAsync("HeadObject", file.Target.ToString(), (client, token) => client.GetObjectMetadataAsync(
                        new GetObjectMetadataRequest { BucketName = Bucket, Key = file.Target.Key, ChecksumMode = ChecksumMode.ENABLED }, token),
                        cancellationToken).ConfigureAwait(false);
                    if (!string.Equals(head.ChecksumSHA256, expected, StringComparison.Ordinal))
                    {
                        throw;
                    }

                    reported = head.ChecksumSHA256;
                }

                _openUploads.TryRemove(file.UploadId!, out _);
                if (!string.IsNullOrEmpty(reported) && !string.Equals(reported, expected, StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"S3 reports the SHA-256 {reported} for {file.Target}; the parts sent give {expected}.");
                }

                _tracker.FileDone();
            }

            // ---- cleanup ----

            /// <summary>After success: aborts uploads left by a CreateMultipartUpload whose answer was lost (rare; only for keys
            /// whose creation was retried), so no upload of this run remains.</summary>
            public async Task SweepAsync(CancellationToken cancellationToken)
            {
                if (_keysToSweep.IsEmpty)
                {
                    return;
                }

                var leftovers = await ListUploadsAsync(_keysToSweep.Values.ToList(), cancellationToken).ConfigureAwait(false);
                foreach (var upload in leftovers.Values.SelectMany(list => list))
                {
                    await AbortAsync(_keysToSweep[upload.Key].Target, upload.UploadId, cancellationToken).ConfigureAwait(false);
                }
            }

            /// <summary>Aborts every multipart upload of this run that is not complete. Runs after cancellation, so it uses its own
            /// short timeout instead of the caller's token; failures are logged, not thrown.</summary>
            public async Task AbortOpenUploadsAsync()
            {
                if (_openUploads.IsEmpty)
                {
                    return;
                }

                using var timeout = new CancellationTokenSource(AbortTimeout);
                await Task.WhenAll(_openUploads.ToArray().Select(async open =>
                {
                    try
                    {
                        await AbortAsync(open.Value.Target, open.Key, timeout.Token).ConfigureAwait(false);
                        _openUploads.TryRemove(open.Key, out _);
                    }
                    catch (Exception error)
                    {
                        _log.Warning($"Could not abort the multipart upload {open.Key} of {open.Value.Target}: {error.Message} "
                                     + "Its parts stay billed until it is aborted (a rerun of the copy resumes or aborts it).");
                    }
                })).ConfigureAwait(false);
            }

            private async Task AbortAsync(S3Uri target, string uploadId, CancellationToken cancellationToken)
            {
                try
                {
                    await _s3.RunAsync("AbortMultipartUpload", target.ToString(), (client, token) => client.AbortMultipartUploadAsync(
                        new AbortMultipartUploadRequest { BucketName = Bucket, Key = target.Key, UploadId = uploadId }, token), cancellationToken).ConfigureAwait(false);
                }
                catch (AwsServiceException gone) when (gone.ErrorCode == "NoSuchUpload")
                {
                }
            }

            private async Task ForEachAsync<T>(IReadOnlyList<T> items, Func<T, CancellationToken, Task> action, CancellationToken cancellationToken)
            {
                using var gate = new SemaphoreSlim(_concurrency, _concurrency);
                using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var tasks = items.Select(async item =>
                {
                    await gate.WaitAsync(failed.Token).ConfigureAwait(false);
                    try
                    {
                        await action(item, failed.Token).ConfigureAwait(false);
                    }
                    catch
                    {
                        failed.Cancel();
                        throw;
                    }
                    finally
                    {
                        gate.Release();
                    }
                }).ToList();
                try
                {
                    await Task.WhenAll(tasks).ConfigureAwait(false);
                }
                catch
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var first = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => !(e is OperationCanceledException));
                    if (first != null)
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
                    }

                    throw;
                }
            }
        }
    }
}

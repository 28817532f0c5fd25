namespace BedrockImport.Engine.Transfer.Upload;

/// <summary>Sends the parts of every file that is not skipped through a fixed number of workers, each with one buffer for the
/// whole run: a job reads its range from the source, hashes it (and, for a file whose SHA-256 the source published, adds it
/// to the file's in-order hash), and uploads it; the worker that sends a file's last part completes the file.</summary>
internal sealed class PartPump
{
    private readonly UploadRun _run;
    private readonly ObjectWriter _writer;

    public PartPump(UploadRun run)
    {
        _run = run;
        _writer = new ObjectWriter(run);
    }

    public Task RunAsync(IReadOnlyList<FileUpload> files, CancellationToken cancellationToken)
    {
        var jobs = PlanJobs(files);
        var next = -1;
        return ParallelWork.RunWorkersAsync(Math.Min(_run.Concurrency, Math.Max(1, jobs.Count)), async token =>
        {
            byte[]? buffer = null;
            int index;
            while ((index = Interlocked.Increment(ref next)) < jobs.Count)
            {
                token.ThrowIfCancellationRequested();
                buffer = await RunJobAsync(jobs[index], buffer, token).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    /// <summary>In file order, each file's parts in part order (the in-order hash relies on it).</summary>
    private static List<Job> PlanJobs(IReadOnlyList<FileUpload> files)
    {
        var jobs = new List<Job>();
        foreach (var file in files.Where(f => !f.Skipped))
        {
            if (!file.Plan.IsMultipart)
            {
                jobs.Add(new Job(file, Job.WholeFile));
                continue;
            }

            var missing = file.PlanParts();
            if (missing.Count == 0)
            {
                jobs.Add(new Job(file, Job.CompleteOnly));
            }

            jobs.AddRange(missing.Select(n => new Job(file, n)));
        }

        return jobs;
    }

    /// <returns>The worker's buffer (grown when the job needed a larger one).</returns>
    private async Task<byte[]?> RunJobAsync(Job job, byte[]? buffer, CancellationToken cancellationToken)
    {
        var file = job.File;
        if (job.PartNumber == Job.CompleteOnly)
        {
            await _writer.CompleteAsync(file, cancellationToken).ConfigureAwait(false);
            return buffer;
        }

        var wholeFile = job.PartNumber == Job.WholeFile;
        var offset = wholeFile ? 0 : file.Plan.PartOffset(job.PartNumber);
        var length = wholeFile ? file.Size : file.Plan.PartLength(job.PartNumber);
        if (buffer == null || buffer.Length < length)
        {
            // One buffer per worker for the whole run, exactly one part long (ArrayPool would round 10 MiB up to 16 MiB):
            // memory stays at Concurrency x part size.
            buffer = NewBuffer((int)Math.Max(length, 1));
        }

        _run.Tracker.FileStarted(file.File.Path);
        try
        {
            await ReadPartAsync(file, job.PartNumber, offset, buffer, (int)length, cancellationToken).ConfigureAwait(false);
            var digest = Sha256Checksums.Digest(buffer, 0, (int)length);
            if (wholeFile)
            {
                VerifyWholeFile(file, digest);
                await _writer.PutObjectAsync(file, buffer, (int)length, digest, cancellationToken).ConfigureAwait(false);
                file.WholeFileSent();
                _run.Tracker.BytesUploaded(length);
                _run.Tracker.FileDone();
                return buffer;
            }

            await _writer.EnsureUploadCreatedAsync(file, cancellationToken).ConfigureAwait(false);
            if (file.TryAnnounce())
            {
                _run.S3.LogOperation("UploadPart", file.Target.ToString(),
                    $"{file.PartsToSend} of {file.Plan.PartCount} parts of {file.Plan.PartSize} bytes, up to {_run.Concurrency} in parallel (one line per file; retries are logged)");
            }

            if (file.WholeFileHash != null)
            {
                // Checked after the last part is read and before it is sent, so a mismatch aborts the upload instead of completing it.
                var whole = await file.WholeFileHash.AddPartAsync(job.PartNumber, buffer, (int)length, cancellationToken).ConfigureAwait(false);
                if (whole != null)
                {
                    VerifyWholeFile(file, whole);
                }
            }

            var etag = await _writer.UploadPartAsync(file, job.PartNumber, buffer, (int)length, digest, cancellationToken).ConfigureAwait(false);
            var last = file.PartSent(job.PartNumber, digest, etag, length);
            _run.Tracker.BytesUploaded(length);
            if (last)
            {
                await _writer.CompleteAsync(file, cancellationToken).ConfigureAwait(false);
            }

            return buffer;
        }
        finally
        {
            _run.Tracker.FileStopped(file.File.Path);
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
        if (_run.Source.IsLocal)
        {
            return ReadRangeAsync(file, offset, buffer, length, cancellationToken);
        }

        var what = partNumber == Job.WholeFile ? file.File.Path : $"{file.File.Path} part {partNumber}";
        return _run.S3.Policy.ExecuteAsync($"reading {what} from {_run.Source.Location}",
            token => ReadRangeAsync(file, offset, buffer, length, token), cancellationToken);
    }

    private async Task ReadRangeAsync(FileUpload file, long offset, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        using var stream = await _run.Source.OpenRangeAsync(file.File.Path, offset, length, cancellationToken).ConfigureAwait(false);
        var done = 0;
        while (done < length)
        {
            var read = await stream.ReadAsync(buffer, done, length - done, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException(_run.Source.IsLocal
                    ? $"The file '{file.File.Path}' in '{_run.Source.Location}' became shorter while it was being uploaded."
                    : $"The answer for bytes {offset}-{offset + length - 1} of '{file.File.Path}' ended after {done} bytes.");
            }

            done += read;
        }
    }

    /// <summary>Checks a whole-file digest against the SHA-256 the source published (Hub LFS files): the digest of a file sent
    /// with one PutObject, or the in-order hash of a multipart file's parts.</summary>
    private void VerifyWholeFile(FileUpload file, byte[] digest)
    {
        var expected = file.File.Sha256;
        if (expected != null && !string.Equals(Sha256Checksums.Hex(digest), expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"The bytes read for '{file.File.Path}' from {_run.Source.Location} do not match its published SHA-256 {expected}.");
        }
    }

    private readonly struct Job
    {
        /// <summary>The whole file with one PutObject.</summary>
        public const int WholeFile = 0;
        /// <summary>Every part is already in an interrupted upload: only CompleteMultipartUpload is left.</summary>
        public const int CompleteOnly = -1;

        public Job(FileUpload file, int partNumber)
        {
            File = file;
            PartNumber = partNumber;
        }

        public FileUpload File { get; }
        /// <summary>1..PartCount, or WholeFile, or CompleteOnly.</summary>
        public int PartNumber { get; }
    }
}

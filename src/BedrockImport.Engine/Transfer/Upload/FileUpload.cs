using Amazon.S3.Model;
using BedrockImport.Engine.Sources;

namespace BedrockImport.Engine.Transfer.Upload;

/// <summary>One file of a run: whether it is skipped, its multipart upload, the parts S3 holds (digest and ETag), and the bytes
/// sent. The workers of the part pump call it concurrently.</summary>
internal sealed class FileUpload
{
    private readonly byte[]?[] _partDigests;
    private readonly string?[] _partETags;
    private readonly SemaphoreSlim _createLock = new SemaphoreSlim(1, 1);
    private volatile string? _uploadId;
    private int _partsLeft;
    private int _announced;
    private long _bytesUploaded;

    public FileUpload(ModelSourceFile file, S3Uri target, PartPlan plan)
    {
        File = file;
        Target = target;
        Plan = plan;
        _partDigests = new byte[plan.PartCount][];
        _partETags = new string[plan.PartCount];
    }

    public ModelSourceFile File { get; }
    public S3Uri Target { get; }
    public PartPlan Plan { get; }
    public long Size => File.Length;

    /// <summary>The object was already in S3 with this content.</summary>
    public bool Skipped { get; private set; }

    /// <summary>The multipart upload the parts go to, once created or resumed.</summary>
    public string? UploadId => _uploadId;

    public long BytesUploaded => Interlocked.Read(ref _bytesUploaded);

    /// <summary>Parts sent in this run (the others are reused from an interrupted upload).</summary>
    public int PartsToSend { get; private set; }

    /// <summary>The whole-file SHA-256 fed part by part in order, when every part is read in this run and the source published
    /// the file's SHA-256 (Hub LFS files); null otherwise.</summary>
    public InOrderSha256? WholeFileHash { get; private set; }

    public void Skip() => Skipped = true;

    /// <summary>Continues an interrupted multipart upload instead of creating one.</summary>
    public void Resume(string uploadId) => _uploadId = uploadId;

    /// <summary>A part an interrupted upload already holds with the bytes of this file.</summary>
    public void ReusePart(int partNumber, byte[] digest, string etag)
    {
        _partDigests[partNumber - 1] = digest;
        _partETags[partNumber - 1] = etag;
    }

    /// <summary>The parts to send in this run: every part that no interrupted upload holds.</summary>
    public IReadOnlyList<int> PlanParts()
    {
        var missing = Enumerable.Range(1, Plan.PartCount).Where(n => _partDigests[n - 1] == null).ToList();
        _partsLeft = missing.Count;
        PartsToSend = missing.Count;
        if (File.Sha256 != null && missing.Count == Plan.PartCount)
        {
            WholeFileHash = new InOrderSha256(Plan.PartCount);
        }

        return missing;
    }

    /// <summary>True for the first caller only: the file's one Verbose line about its parts.</summary>
    public bool TryAnnounce() => Interlocked.Exchange(ref _announced, 1) == 0;

    /// <summary>Creates the multipart upload once, by whichever worker comes first; the others wait for it.</summary>
    public async Task EnsureUploadCreatedAsync(Func<CancellationToken, Task<string>> create, CancellationToken cancellationToken)
    {
        if (_uploadId != null)
        {
            return;
        }

        await _createLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_uploadId == null)
            {
                _uploadId = await create(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _createLock.Release();
        }
    }

    /// <summary>Records a part sent now. True when it was the last part missing: the upload can be completed.</summary>
    public bool PartSent(int partNumber, byte[] digest, string etag, long length)
    {
        ReusePart(partNumber, digest, etag);
        Interlocked.Add(ref _bytesUploaded, length);
        return Interlocked.Decrement(ref _partsLeft) == 0;
    }

    /// <summary>The file went up with one PutObject.</summary>
    public void WholeFileSent() => Interlocked.Add(ref _bytesUploaded, Size);

    /// <summary>The composite SHA-256 S3 computes over the parts' digests ("base64-N").</summary>
    public string CompositeChecksum() => Sha256Checksums.Composite(_partDigests.Select(d => d!).ToArray());

    /// <summary>Every part with its ETag and checksum, in order, for CompleteMultipartUpload.</summary>
    public List<PartETag> CompletedParts()
        => Enumerable.Range(1, Plan.PartCount).Select(number => new PartETag
        {
            PartNumber = number,
            ETag = _partETags[number - 1],
            ChecksumSHA256 = Convert.ToBase64String(_partDigests[number - 1]!),
        }).ToList();

    public UploadedFile ToResult() => new UploadedFile(File.Path, Target.ToString(), Size, BytesUploaded, Plan.IsMultipart ? Plan.PartCount : 1,
        Plan.PartSize, Skipped ? UploadedFileAction.Skipped : UploadedFileAction.Uploaded);
}

using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Transfer;

/// <summary>What ModelUploader.UploadAsync uploads (a local folder, a Hugging Face Hub repository, an S3 prefix), where, and how.</summary>
public sealed class UploadRequest
{
    public UploadRequest(IModelSource source, S3Uri destination, AwsSession session)
    {
        Source = source ?? throw new ArgumentNullException(nameof(source));
        Destination = destination ?? throw new ArgumentNullException(nameof(destination));
        Session = session ?? throw new ArgumentNullException(nameof(session));
    }

    /// <summary>The model folder, read as it is (a Hub repository is pinned to its commit on first use and streamed through memory).</summary>
    public IModelSource Source { get; }

    /// <summary>Treated as a folder: files go to FolderPrefix + their relative path.</summary>
    public S3Uri Destination { get; }

    public AwsSession Session { get; }

    /// <summary>Null: per file, at least 8 MiB, at least size/10000, a multiple of 1 MiB. Otherwise 5 MiB..5 GiB.</summary>
    public long? PartSizeBytes { get; set; }

    /// <summary>Parts (of all files) in flight at once; null = 6 (chosen to stay under 256 MiB with 8 MiB parts on a 2-core machine; bench B3). Memory is about Concurrency x part size.</summary>
    public int? Concurrency { get; set; }

    /// <summary>SSE-KMS key id, ARN or alias; null = the bucket's default encryption.</summary>
    public string? KmsKeyId { get; set; }

    /// <summary>Called with each candidate's relative path ('/' separators); false leaves the file out.
    /// Null = every file of the source except hidden files and folders (names starting with '.', e.g. .git, .cache: ModelSourceFile.IsVisible).</summary>
    public Func<string, bool>? FileFilter { get; set; }

    public RetryOptions? Retry { get; set; }

    public IEngineLog? Log { get; set; }
}

public enum UploadedFileAction
{
    /// <summary>Sent now (possibly reusing parts of an interrupted multipart upload).</summary>
    Uploaded,
    /// <summary>The object already existed with the same size and checksum.</summary>
    Skipped,
}

public sealed class UploadedFile
{
    public UploadedFile(string relativePath, string s3Uri, long size, long bytesUploaded, int parts, long partSize, UploadedFileAction action)
    {
        RelativePath = relativePath;
        S3Uri = s3Uri;
        Size = size;
        BytesUploaded = bytesUploaded;
        Parts = parts;
        PartSize = partSize;
        Action = action;
    }

    /// <summary>Path relative to the source folder, '/' separators.</summary>
    public string RelativePath { get; }
    public string S3Uri { get; }
    public long Size { get; }
    /// <summary>Bytes sent in this run (less than Size when parts of an earlier upload were reused, 0 when skipped).</summary>
    public long BytesUploaded { get; }
    /// <summary>1 for a single PutObject.</summary>
    public int Parts { get; }
    public long PartSize { get; }
    public UploadedFileAction Action { get; }
}

public sealed class UploadResult
{
    public UploadResult(string s3Uri, int files, long bytes, long uploaded, int skipped, TimeSpan duration, IReadOnlyList<UploadedFile> details)
    {
        S3Uri = s3Uri;
        Files = files;
        Bytes = bytes;
        Uploaded = uploaded;
        Skipped = skipped;
        Duration = duration;
        Details = details;
    }

    /// <summary>The destination folder, s3://bucket/prefix/.</summary>
    public string S3Uri { get; }
    public int Files { get; }
    /// <summary>Total size of all files.</summary>
    public long Bytes { get; }
    /// <summary>Bytes actually sent in this run.</summary>
    public long Uploaded { get; }
    /// <summary>Files left alone because the object was already there.</summary>
    public int Skipped { get; }
    public TimeSpan Duration { get; }
    public IReadOnlyList<UploadedFile> Details { get; }

    /// <summary>The 40-hex Hugging Face commit the files were copied from (a Hub source); null for a local folder.
    /// Start-BedrockModelImport binds it by property name and records it as the import's source identity.</summary>
    public string? HubCommit { get; internal set; }
}

/// <summary>A progress snapshot; reported after each part and each file.</summary>
public sealed class TransferProgress
{
    public TransferProgress(string stage, long bytesTransferred, long totalBytes, long bytesUploaded, int filesDone, int filesTotal,
        IReadOnlyList<string> currentFiles, TimeSpan elapsed, double bytesPerSecond, TimeSpan? remaining, long bytesChecked = 0)
    {
        BytesChecked = bytesChecked;
        Stage = stage;
        BytesTransferred = bytesTransferred;
        TotalBytes = totalBytes;
        BytesUploaded = bytesUploaded;
        FilesDone = filesDone;
        FilesTotal = filesTotal;
        CurrentFiles = currentFiles;
        Elapsed = elapsed;
        BytesPerSecond = bytesPerSecond;
        Remaining = remaining;
    }

    /// <summary>"Checking" (comparing with objects already in S3) or "Uploading".</summary>
    public string Stage { get; }
    /// <summary>Bytes done, counting skipped files and reused parts.</summary>
    public long BytesTransferred { get; }
    public long TotalBytes { get; }
    /// <summary>Bytes actually sent so far (the rate is computed from these).</summary>
    public long BytesUploaded { get; }
    public int FilesDone { get; }
    public int FilesTotal { get; }
    /// <summary>Relative paths of the files with parts in flight.</summary>
    public IReadOnlyList<string> CurrentFiles { get; }
    public TimeSpan Elapsed { get; }
    /// <summary>Upload rate since the first byte was sent; 0 until then.</summary>
    public double BytesPerSecond { get; }
    /// <summary>Estimated time left at the current rate; null when unknown.</summary>
    public TimeSpan? Remaining { get; }

    /// <summary>Bytes of local files read so far to compare them with objects already in S3 (the "Checking" stage).</summary>
    public long BytesChecked { get; }

    public int PercentComplete => TotalBytes <= 0 ? 100 : (int)Math.Min(100, BytesTransferred * 100 / TotalBytes);
}

using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Sources;

namespace BedrockImport.Engine.Transfer.Upload;

/// <summary>What every step of one ModelUploader run shares: the S3 calls, the request and its source, the progress, the log
/// and the cleanup.</summary>
internal sealed class UploadRun
{
    public UploadRun(S3Calls s3, UploadRequest request, int concurrency, ProgressTracker tracker, IEngineLog log)
    {
        S3 = s3;
        Request = request;
        Concurrency = concurrency;
        Tracker = tracker;
        Log = log;
        Cleanup = new UploadCleanup(this);
    }

    public S3Calls S3 { get; }
    public UploadRequest Request { get; }
    public IModelSource Source => Request.Source;
    public string Bucket => Request.Destination.Bucket;
    /// <summary>Parts (or checks) in flight at once.</summary>
    public int Concurrency { get; }
    public ProgressTracker Tracker { get; }
    public IEngineLog Log { get; }
    /// <summary>The multipart uploads of the run, so that none is left behind.</summary>
    public UploadCleanup Cleanup { get; }

    /// <summary>Over HTTPS the payload is not signed (TLS protects it and the SHA-256 checksum covers it); over plain HTTP it is.</summary>
    public bool UnsignedPayload => S3.Client.Config.ServiceURL == null
                                   || S3.Client.Config.ServiceURL.StartsWith("https:", StringComparison.OrdinalIgnoreCase);

    /// <summary>HeadObject with the checksum mode on: size, SHA-256 (full or composite) and user metadata.</summary>
    public Task<GetObjectMetadataResponse> HeadObjectAsync(S3Uri target, CancellationToken cancellationToken)
        => S3.RunAsync("HeadObject", target.ToString(), (client, token) => client.GetObjectMetadataAsync(
            new GetObjectMetadataRequest { BucketName = Bucket, Key = target.Key, ChecksumMode = ChecksumMode.ENABLED }, token),
            cancellationToken);
}

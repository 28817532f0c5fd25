using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Transfer.Upload;

/// <summary>The S3 requests that write a file: one PutObject, or a multipart upload (create, parts, complete). Each carries the
/// SHA-256 of its bytes, the part size and the source's metadata, and SSE-KMS when asked for.</summary>
internal sealed class ObjectWriter
{
    private readonly UploadRun _run;

    public ObjectWriter(UploadRun run) => _run = run;

    public async Task PutObjectAsync(FileUpload file, byte[] buffer, int length, byte[] digest, CancellationToken cancellationToken)
    {
        var checksum = Convert.ToBase64String(digest);
        await _run.S3.RunAsync("PutObject", file.Target.ToString(), (client, token) =>
        {
            var put = new PutObjectRequest
            {
                BucketName = _run.Bucket,
                Key = file.Target.Key,
                InputStream = new MemoryStream(buffer, 0, length, writable: false),
                AutoCloseStream = true,
                ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
                ChecksumSHA256 = checksum,
                UseChunkEncoding = false,
                DisablePayloadSigning = _run.UnsignedPayload,
                ContentType = "application/octet-stream",
                ServerSideEncryptionMethod = Encryption,
                ServerSideEncryptionKeyManagementServiceKeyId = _run.Request.KmsKeyId,
            };
            AddMetadata(put.Metadata, file);
            return client.PutObjectAsync(put, token);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the file's multipart upload unless it has one (created by another worker, or resumed).</summary>
    public Task EnsureUploadCreatedAsync(FileUpload file, CancellationToken cancellationToken)
        => file.EnsureUploadCreatedAsync(async token =>
        {
            var create = new InitiateMultipartUploadRequest
            {
                BucketName = _run.Bucket,
                Key = file.Target.Key,
                ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
                ContentType = "application/octet-stream",
                ServerSideEncryptionMethod = Encryption,
                ServerSideEncryptionKeyManagementServiceKeyId = _run.Request.KmsKeyId,
            };
            AddMetadata(create.Metadata, file);

            var created = await _run.S3.RunAsync("CreateMultipartUpload", file.Target.ToString(), async (client, attemptToken) =>
            {
                try
                {
                    return await client.InitiateMultipartUploadAsync(create, attemptToken).ConfigureAwait(false);
                }
                catch
                {
                    _run.Cleanup.CreationFailed(file);
                    throw;
                }
            }, token).ConfigureAwait(false);
            _run.Cleanup.Opened(created.UploadId, file);
            return created.UploadId;
        }, cancellationToken);

    /// <returns>The part's ETag.</returns>
    public async Task<string> UploadPartAsync(FileUpload file, int partNumber, byte[] buffer, int length, byte[] digest, CancellationToken cancellationToken)
    {
        var checksum = Convert.ToBase64String(digest);
        var response = await _run.S3.RunAsync("UploadPart", $"{file.Target} part {partNumber}", (client, token) => client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _run.Bucket,
            Key = file.Target.Key,
            UploadId = file.UploadId,
            PartNumber = partNumber,
            PartSize = length,
            InputStream = new MemoryStream(buffer, 0, length, writable: false),
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            ChecksumSHA256 = checksum,
            UseChunkEncoding = false,
            DisablePayloadSigning = _run.UnsignedPayload,
        }, token), cancellationToken, logCall: false).ConfigureAwait(false);
        return response.ETag;
    }

    /// <summary>Completes the multipart upload and checks the composite SHA-256 S3 reports against the parts sent.</summary>
    public async Task CompleteAsync(FileUpload file, CancellationToken cancellationToken)
    {
        var expected = file.CompositeChecksum();
        var complete = new CompleteMultipartUploadRequest { BucketName = _run.Bucket, Key = file.Target.Key, UploadId = file.UploadId, PartETags = file.CompletedParts() };
        var attempts = 0;
        string? reported;
        try
        {
            var response = await _run.S3.RunAsync("CompleteMultipartUpload", file.Target.ToString(), (client, token) =>
            {
                attempts++;
                return client.CompleteMultipartUploadAsync(complete, token);
            }, cancellationToken).ConfigureAwait(false);
            reported = response.ChecksumSHA256;
        }
        catch (AwsServiceException gone) when (gone.ErrorCode == "NoSuchUpload" && attempts > 1)
        {
            // An earlier attempt completed the upload but its answer was lost: accept the object if it is ours.
            var head = await _run.HeadObjectAsync(file.Target, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(head.ChecksumSHA256, expected, StringComparison.Ordinal))
            {
                throw;
            }

            reported = head.ChecksumSHA256;
        }

        _run.Cleanup.Completed(file.UploadId!);
        if (!string.IsNullOrEmpty(reported) && !string.Equals(reported, expected, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"S3 reports the SHA-256 {reported} for {file.Target}; the parts sent give {expected}.");
        }

        _run.Tracker.FileDone();
    }

    /// <summary>SSE-KMS when a key was given; null (the bucket's default encryption) otherwise.</summary>
    private ServerSideEncryptionMethod? Encryption => _run.Request.KmsKeyId != null ? ServerSideEncryptionMethod.AWSKMS : null;

    private static void AddMetadata(MetadataCollection metadata, FileUpload file)
    {
        metadata[UploadMetadata.PartSize] = file.Plan.PartSize.ToString(CultureInfo.InvariantCulture);
        foreach (var entry in file.File.Metadata)
        {
            metadata[entry.Key] = entry.Value;
        }
    }
}

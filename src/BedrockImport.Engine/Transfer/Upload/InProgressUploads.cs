using Amazon.S3.Model;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Transfer.Upload;

/// <summary>The multipart uploads in progress under the destination (left by any earlier run, or by this one).</summary>
internal static class InProgressUploads
{
    /// <summary>The uploads in progress for the keys of these files, by key. Empty, with a warning, when the store refuses
    /// or lacks ListMultipartUploads.</summary>
    public static async Task<Dictionary<string, List<MultipartUpload>>> ListAsync(UploadRun run, IReadOnlyList<FileUpload> files, CancellationToken cancellationToken)
    {
        var keys = new HashSet<string>(files.Select(f => f.Target.Key), StringComparer.Ordinal);
        var found = new Dictionary<string, List<MultipartUpload>>(StringComparer.Ordinal);
        if (keys.Count == 0)
        {
            return found;
        }

        var bucket = run.Bucket;
        var prefix = run.Request.Destination.FolderPrefix;
        string? keyMarker = null, uploadIdMarker = null;
        while (true)
        {
            ListMultipartUploadsResponse page;
            try
            {
                page = await run.S3.RunAsync("ListMultipartUploads", $"s3://{bucket}/{prefix}", (client, token) => client.ListMultipartUploadsAsync(
                    new ListMultipartUploadsRequest { BucketName = bucket, Prefix = prefix, KeyMarker = keyMarker, UploadIdMarker = uploadIdMarker }, token),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (AwsServiceException denied) when (denied.ErrorCode == "AccessDenied")
            {
                run.Log.Warning($"Cannot list the multipart uploads under s3://{bucket}/{prefix} ({denied.Message}); "
                                + "uploads left by an interrupted copy are neither resumed nor aborted (s3:ListBucketMultipartUploads is needed for that).");
                return found;
            }
            catch (AwsServiceException unsupported) when (unsupported.StatusCode == 501 || unsupported.StatusCode == 405)
            {
                // S3-compatible stores that lack the operation (s3rver, some appliances): copy without resuming.
                run.Log.Warning($"This S3 endpoint does not support ListMultipartUploads ({unsupported.ErrorCode}); "
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
}

using Amazon.S3.Model;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Sources;

/// <summary>A model folder in S3, read by listing and ranged GETs: the validator and the chat-template reader need only a few
/// small reads, never the weights. Each range is buffered in memory.</summary>
public sealed class S3PrefixSource : IModelSource, IDisposable
{
    private readonly S3Calls _s3;
    private readonly S3Uri _folder;

    public S3PrefixSource(AwsSession session, S3Uri folder, IEngineLog log, RetryOptions? retry = null)
    {
        _s3 = new S3Calls(session, retry ?? new RetryOptions(), log);
        _folder = folder;
    }

    public string Location => "s3://" + _folder.Bucket + "/" + _folder.FolderPrefix;

    public bool IsLocal => false;

    /// <summary>The objects under the prefix (folder markers, keys ending with '/', left out), with their ETags.</summary>
    public async Task<IReadOnlyList<ModelSourceFile>> ListFilesAsync(CancellationToken cancellationToken)
    {
        var files = new List<ModelSourceFile>();
        var request = new ListObjectsV2Request { BucketName = _folder.Bucket, Prefix = _folder.FolderPrefix };
        do
        {
            var page = await _s3.RunAsync("ListObjectsV2", Location, (client, token) => client.ListObjectsV2Async(request, token), cancellationToken)
                .ConfigureAwait(false);
            foreach (var entry in page.S3Objects ?? new List<S3Object>())
            {
                var relative = entry.Key.Substring(_folder.FolderPrefix.Length);
                if (relative.Length > 0 && !relative.EndsWith("/", StringComparison.Ordinal))
                {
                    files.Add(new ModelSourceFile(relative, entry.Size ?? 0, etag: entry.ETag));
                }
            }

            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken != null);

        return files;
    }

    public async Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
    {
        if (length <= 0)
        {
            return new MemoryStream(Array.Empty<byte>());
        }

        var key = _folder.Append(path).Key;
        var request = new GetObjectRequest { BucketName = _folder.Bucket, Key = key, ByteRange = new ByteRange(offset, offset + length - 1) };
        var buffer = await _s3.RunAsync("GetObject", "s3://" + _folder.Bucket + "/" + key, async (client, token) =>
        {
            using var response = await client.GetObjectAsync(request, token).ConfigureAwait(false);
            var copy = new MemoryStream();
            await response.ResponseStream.CopyToAsync(copy, 81920, token).ConfigureAwait(false);
            return copy.ToArray();
        }, cancellationToken).ConfigureAwait(false);
        return new MemoryStream(buffer, writable: false);
    }

    /// <summary>A small file's text, or null when the folder has no such file.</summary>
    public async Task<string?> ReadTextAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            using var stream = await OpenRangeAsync(path, 0, maxBytes, cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync().ConfigureAwait(false);
        }
        catch (AwsServiceException error) when (error.StatusCode == 404 || error.ErrorCode == "NoSuchKey")
        {
            return null;
        }
    }

    public void Dispose() => _s3.Dispose();
}

using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Transfer;
using BedrockImport.LocalEndpoint.S3;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>The model folder an import job reads, as the Engine's model source: the objects under s3://bucket/prefix/ of the
/// endpoint's own S3 store, read in process.</summary>
internal sealed class S3StoreSource : IModelSource
{
    private readonly S3Store _store;
    private readonly S3Uri _folder;

    public S3StoreSource(S3Store store, S3Uri folder)
    {
        _store = store;
        _folder = folder;
    }

    /// <summary>The source of an import job's S3 URI; null when it is not a valid s3://bucket/prefix/.</summary>
    public static S3StoreSource? For(S3Store store, string s3Uri)
        => S3Uri.TryParse(s3Uri, out var folder) ? new S3StoreSource(store, folder!) : null;

    public string Bucket => _folder.Bucket;

    public string Location => $"s3://{_folder.Bucket}/{_folder.FolderPrefix}";

    public bool IsLocal => true;

    public bool BucketExists => _store.BucketExists(_folder.Bucket);

    public Task<IReadOnlyList<ModelSourceFile>> ListFilesAsync(CancellationToken cancellationToken)
    {
        var prefix = _folder.FolderPrefix;
        IReadOnlyList<ModelSourceFile> files = _store.List(_folder.Bucket, prefix)
            .Where(o => o.Key.Length > prefix.Length)
            .Select(o => new ModelSourceFile(o.Key.Substring(prefix.Length), o.Size, etag: o.ETag))
            .ToList();
        return Task.FromResult(files);
    }

    public async Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
    {
        // The validator reads headers and small JSON files only, so the range is buffered.
        await using var stream = _store.OpenRead(_folder.Bucket, _folder.FolderPrefix + path);
        var available = Math.Max(0, Math.Min(length, stream.Length - offset));
        var buffer = new byte[available];
        stream.Seek(offset, SeekOrigin.Begin);
        var filled = 0;
        while (filled < available)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0) break;
            filled += read;
        }
        return new MemoryStream(buffer, 0, filled, writable: false);
    }

    /// <summary>A file of the folder, or null when it (or the bucket) does not exist.</summary>
    public S3ObjectInfo? Find(string path) => BucketExists ? _store.Find(_folder.Bucket, _folder.FolderPrefix + path) : null;

    /// <summary>A small text file of the folder (e.g. responses.jsonl), or null when absent.</summary>
    public string? ReadText(string path)
    {
        if (Find(path) is null) return null;
        using var stream = _store.OpenRead(_folder.Bucket, _folder.FolderPrefix + path);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

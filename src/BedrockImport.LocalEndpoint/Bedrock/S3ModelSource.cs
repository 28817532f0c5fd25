using BedrockImport.Engine.ModelPackage;
using BedrockImport.LocalEndpoint.S3;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>The model folder an import job reads: the objects under s3://bucket/prefix/ of the endpoint's own S3 store.</summary>
internal sealed class S3ModelSource : IModelFileSource
{
    private readonly S3Store _store;
    private readonly string _bucket;
    private readonly string _prefix;

    public S3ModelSource(S3Store store, string bucket, string prefix)
    {
        _store = store;
        _bucket = bucket;
        _prefix = prefix.Length == 0 || prefix.EndsWith('/') ? prefix : prefix + "/";
    }

    public string Location => $"s3://{_bucket}/{_prefix}";

    /// <summary>Splits s3://bucket/prefix into its parts.</summary>
    public static (string Bucket, string Prefix) Parse(string s3Uri)
    {
        var rest = s3Uri.Substring("s3://".Length);
        var slash = rest.IndexOf('/');
        return slash < 0 ? (rest, "") : (rest.Substring(0, slash), rest.Substring(slash + 1));
    }

    public Task<IReadOnlyList<ModelFileEntry>> ListFilesAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<ModelFileEntry> files = _store.List(_bucket, _prefix)
            .Where(o => o.Key.Length > _prefix.Length)
            .Select(o => new ModelFileEntry(o.Key.Substring(_prefix.Length), o.Size))
            .ToList();
        return Task.FromResult(files);
    }

    public async Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
    {
        // The validator reads headers and small JSON files only, so the range is buffered.
        await using var stream = _store.OpenRead(_bucket, _prefix + path);
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

    /// <summary>A small text file of the folder (e.g. responses.jsonl), or null when absent.</summary>
    public string? ReadText(string path)
    {
        if (_store.Find(_bucket, _prefix + path) is null) return null;
        using var stream = _store.OpenRead(_bucket, _prefix + path);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public bool BucketExists => _store.BucketExists(_bucket);
}

using BedrockImport.Engine.Hub;
using BedrockImport.Engine.Transfer;

namespace BedrockImport.Engine.Sources;

/// <summary>A Hugging Face Hub model repository pinned to one commit: the revision is pinned on first use, files are listed from
/// the tree API and read by ranged GETs. Validating a multi-gigabyte model reads only its JSON files and safetensors headers;
/// uploading it streams ranges into memory without touching the local disk.</summary>
public sealed class HubRepositorySource : IModelSource
{
    private readonly HubClient _client;
    private readonly SemaphoreSlim _resolveLock = new SemaphoreSlim(1, 1);
    private HubRevision? _revision;

    /// <param name="revision">Branch, tag or sha; null is "main".</param>
    public HubRepositorySource(HubClient client, string repoId, string? revision = null)
        : this(client, new HubModelReference(repoId, revision))
    {
    }

    public HubRepositorySource(HubClient client, HubModelReference reference)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        Reference = reference ?? throw new ArgumentNullException(nameof(reference));
    }

    public HubModelReference Reference { get; }

    /// <summary>The pinned commit and its files, once resolved.</summary>
    public HubRevision? Revision => _revision;

    public string Location => _client.Endpoint.AbsoluteUri + Reference.RepoId
        + (_revision != null ? "/tree/" + _revision.Sha : Reference.Revision != null ? "/tree/" + Reference.Revision : "");

    public bool IsLocal => false;

    /// <summary>Pins the revision to its commit (once; later calls return the same commit).</summary>
    public async Task<HubRevision> ResolveAsync(CancellationToken cancellationToken)
    {
        if (_revision != null)
        {
            return _revision;
        }

        await _resolveLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _revision ??= await _client.ResolveRevisionAsync(Reference.RepoId, Reference.Revision, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _resolveLock.Release();
        }
    }

    /// <summary>The files of the pinned commit, each with its LFS SHA-256 or git blob id and the metadata that records them.</summary>
    public async Task<IReadOnlyList<ModelSourceFile>> ListFilesAsync(CancellationToken cancellationToken)
    {
        var revision = await ResolveAsync(cancellationToken).ConfigureAwait(false);
        return revision.Files.Select(f => new ModelSourceFile(f.Path, f.Size, f.Sha256, f.BlobId, metadata: MetadataOf(revision, f))).ToList();
    }

    public async Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
    {
        if (offset < 0) throw new ArgumentOutOfRangeException(nameof(offset));
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
        var revision = await ResolveAsync(cancellationToken).ConfigureAwait(false);
        var file = revision.Find(path);
        if (file != null)
        {
            // Clamp to the listed size: a range past the end would be answered 416.
            length = Math.Max(0, Math.Min(length, file.Size - offset));
        }

        return await _client.OpenRangeAsync(revision.RepoId, revision.Sha, path, offset, length, cancellationToken).ConfigureAwait(false);
    }

    public override string ToString() => Location;

    /// <summary>The repository and commit, and the file's content hash: the LFS SHA-256, else the git blob id (a SHA-1 over
    /// "blob SIZE\0" and the bytes).</summary>
    private static IReadOnlyDictionary<string, string> MetadataOf(HubRevision revision, HubFile file)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [UploadMetadata.HubRepository] = revision.RepoId,
            [UploadMetadata.HubCommit] = revision.Sha,
        };
        if (file.Sha256 != null)
        {
            metadata[UploadMetadata.Sha256] = file.Sha256;
        }

        if (file.BlobId != null)
        {
            metadata[UploadMetadata.HubBlobId] = file.BlobId;
        }

        return metadata;
    }
}

using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Hub;

public sealed class HubClientOptions
{
    /// <summary>The Hub; null reads HF_ENDPOINT, then https://huggingface.co.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>An explicit token (always sent to the Hub host). Null looks up HF_TOKEN, HUGGING_FACE_HUB_TOKEN and the token file,
    /// unless HF_HUB_DISABLE_IMPLICIT_TOKEN is set.</summary>
    public string? Token { get; set; }

    /// <summary>Where environment variables come from; null is the process environment.</summary>
    public IEnvironment? Environment { get; set; }

    public RetryOptions? Retry { get; set; }

    public IEngineLog? Log { get; set; }

    /// <summary>Redirects followed per request (the Hub redirects LFS files to its CDN; renamed repositories redirect too).</summary>
    public int MaxRedirects { get; set; } = 10;

    public override string ToString() => "HubClientOptions(Endpoint=" + (Endpoint?.ToString() ?? "default") + ", Token=" + (Token == null ? "none" : "***") + ")";
}

/// <summary>One file of a pinned commit.</summary>
public sealed class HubFile
{
    public HubFile(string path, long size, string? blobId, string? sha256)
    {
        Path = path;
        Size = size;
        BlobId = blobId;
        Sha256 = sha256;
    }

    /// <summary>Relative to the repository, '/' separated.</summary>
    public string Path { get; }

    /// <summary>The file size (for LFS files the real size, not the pointer's).</summary>
    public long Size { get; }

    /// <summary>The git blob id (for LFS files: of the pointer).</summary>
    public string? BlobId { get; }

    /// <summary>Lower-case hex sha256 of the content; known for LFS files only.</summary>
    public string? Sha256 { get; }

    public bool IsLfs => Sha256 != null;

    public override string ToString() => Path + " (" + Size + " bytes)";
}

/// <summary>A revision resolved to its commit, with the file list of that commit.</summary>
public sealed class HubRevision
{
    public HubRevision(string repoId, string requestedRevision, string sha, bool isPrivate, string? gated, IReadOnlyList<HubFile> files)
    {
        RepoId = repoId;
        RequestedRevision = requestedRevision;
        Sha = sha;
        Private = isPrivate;
        Gated = gated;
        Files = files;
    }

    public string RepoId { get; }

    /// <summary>What the caller asked for ("main", a tag, or a sha).</summary>
    public string RequestedRevision { get; }

    /// <summary>The 40-hex commit sha every later read is pinned to.</summary>
    public string Sha { get; }

    public bool Private { get; }

    /// <summary>"auto" or "manual" for a gated repository, null otherwise.</summary>
    public string? Gated { get; }

    /// <summary>Every file of the commit (recursively), sorted by path.</summary>
    public IReadOnlyList<HubFile> Files { get; }

    public long TotalBytes => Files.Sum(f => f.Size);

    public HubFile? Find(string path) => Files.FirstOrDefault(f => string.Equals(f.Path, path, StringComparison.Ordinal));

    public override string ToString() => RepoId + "@" + Sha + " (" + Files.Count + " files)";
}

/// <summary>What a HEAD on /resolve tells about a file (huggingface_hub get_hf_file_metadata).</summary>
public sealed class HubFileMetadata
{
    public HubFileMetadata(string? commitSha, string? etag, long? size, Uri location, bool isLfs)
    {
        CommitSha = commitSha;
        ETag = etag;
        Size = size;
        Location = location;
        IsLfs = isLfs;
    }

    /// <summary>X-Repo-Commit.</summary>
    public string? CommitSha { get; }

    /// <summary>X-Linked-Etag (the sha256 for LFS files) or ETag, without W/ and quotes.</summary>
    public string? ETag { get; }

    /// <summary>X-Linked-Size, or Content-Length of a non-redirect answer.</summary>
    public long? Size { get; }

    /// <summary>Where the bytes are (the CDN URL for LFS files).</summary>
    public Uri Location { get; }

    public bool IsLfs { get; }
}

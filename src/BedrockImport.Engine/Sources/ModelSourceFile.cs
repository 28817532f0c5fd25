namespace BedrockImport.Engine.Sources;

/// <summary>One file of a model source, with what the source knows about its content without reading it.</summary>
public sealed class ModelSourceFile
{
    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    public ModelSourceFile(string path, long length, string? sha256 = null, string? gitBlobId = null, string? etag = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        Path = path;
        Length = length;
        Sha256 = sha256;
        GitBlobId = gitBlobId;
        ETag = etag;
        Metadata = metadata ?? NoMetadata;
    }

    /// <summary>Relative to the folder, '/' separators, no leading slash.</summary>
    public string Path { get; }

    public long Length { get; }

    /// <summary>The last path segment.</summary>
    public string Name => Path.Substring(Path.LastIndexOf('/') + 1);

    /// <summary>Lower-case hex SHA-256 of the whole content, when the source publishes it (the LFS oid of a Hub LFS file).</summary>
    public string? Sha256 { get; }

    /// <summary>The git blob id of a Hub file (for an LFS file, its pointer's): a hash of the content too.</summary>
    public string? GitBlobId { get; }

    /// <summary>The ETag of an object listed under an S3 prefix.</summary>
    public string? ETag { get; }

    /// <summary>User metadata (x-amz-meta-*) a copy of this file carries, so that a rerun recognises the copy without reading the
    /// source again: for a Hub file the repository, the commit, the SHA-256 and the blob id. Empty for a local file.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>False for hidden files and anything under a hidden folder (a segment starting with '.': .git, .cache,
    /// .gitattributes), which the uploader leaves out by default.</summary>
    public static bool IsVisible(string path) => path.Split('/').All(segment => segment.Length > 0 && segment[0] != '.');

    public override string ToString() => Path + " (" + Length + " bytes)";
}

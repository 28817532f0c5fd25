namespace BedrockImport.Engine.Sources;

/// <summary>A model folder wherever it is: a local folder, a Hugging Face Hub repository pinned to a commit, or an S3 prefix.
/// The validator reads a few ranges of it (the JSON files and the safetensors headers) and the uploader reads all of it, part
/// by part; both take the same source as it is.</summary>
public interface IModelSource
{
    /// <summary>Where the folder is, for messages: a path, a Hub URL (with the commit once it is pinned), or s3://bucket/prefix/.</summary>
    string Location { get; }

    /// <summary>True for a folder on this machine: reading it again is cheap, so the uploader recomputes SHA-256s to skip objects
    /// already in S3 and to resume interrupted uploads, and a failed read is not retried. False for a remote source: a skip compares
    /// the metadata an earlier copy recorded (<see cref="ModelSourceFile.Metadata"/>), interrupted uploads are aborted, and a failed
    /// read is retried by opening the range again.</summary>
    bool IsLocal { get; }

    /// <summary>Every file under the folder (recursively, hidden files included), in path order.</summary>
    Task<IReadOnlyList<ModelSourceFile>> ListFilesAsync(CancellationToken cancellationToken);

    /// <summary>Bytes [offset, offset+length) of a file, a fresh stream per call (a retried read calls this again). The stream
    /// ends early only when the file is shorter.</summary>
    Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken);
}

namespace BedrockImport.Engine.Transfer;

/// <summary>The user metadata keys (x-amz-meta-*) ModelUploader writes.</summary>
public static class UploadMetadata
{
    /// <summary>The part size, so a rerun can recompute the composite SHA-256 S3 holds for a multipart object.</summary>
    public const string PartSize = "bedrockimport-partsize";
    /// <summary>Hex SHA-256 of the whole object, when the source knew it (Hub LFS files).</summary>
    public const string Sha256 = "bedrockimport-sha256";
    public const string HubRepository = "hf-repo";
    /// <summary>The 40-hex commit the object was copied from.</summary>
    public const string HubCommit = "hf-commit";
    /// <summary>The git blob id of the file at that commit.</summary>
    public const string HubBlobId = "hf-blob-id";
}

using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Hub;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Transfer;

namespace BedrockImport.Infrastructure;

/// <summary>Builds the model source of a -Path, -HuggingFaceModel or -S3Uri parameter set, once: the cmdlet hands it as it is
/// to the validator and the uploader.</summary>
internal static class ModelSourceFactory
{
    /// <param name="folder">A file-system path (already resolved from the PowerShell path).</param>
    public static LocalFolderSource FromPath(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The model folder '{folder}' does not exist.");
        }

        return new LocalFolderSource(folder);
    }

    /// <summary>A repository of the client's Hub, "org/name" or its URL, at -Revision (or the URL's). The client stays the caller's.</summary>
    public static HubRepositorySource FromHuggingFace(HubClient client, string model, string? revision)
        => new HubRepositorySource(client, HubCmdletSupport.Reference(model, revision, client));

    /// <summary>The objects under s3://bucket/prefix/; the caller disposes the source (it holds an S3 client).</summary>
    public static S3PrefixSource FromS3Uri(AwsSession session, string s3Uri, IEngineLog log)
        => new S3PrefixSource(session, S3Uri.Parse(s3Uri), log);
}

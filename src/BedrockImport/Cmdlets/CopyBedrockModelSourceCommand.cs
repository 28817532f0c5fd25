using System.Management.Automation;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Transfer;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Uploads a Hugging Face model folder, or streams a Hugging Face Hub repository, to S3 for Custom Model Import:
/// validated first, parallel multipart with a checksum on every part, objects already there skipped, nothing left behind
/// on failure or Ctrl+C.</summary>
[Cmdlet(VerbsCommon.Copy, "BedrockModelSource", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = PathSet)]
[OutputType(typeof(UploadResult))]
public sealed class CopyBedrockModelSourceCommand : ModelFolderCmdlet
{
    /// <summary>The S3 folder, s3://bucket/prefix/.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    [Parameter]
    [ValidateRange(5L * 1024 * 1024, 5L * 1024 * 1024 * 1024)]
    public long PartSizeBytes { get; set; }

    [Parameter]
    [Alias("ThrottleLimit")]
    [ValidateRange(1, 64)]
    public int Concurrency { get; set; }

    [Parameter]
    public string? KmsKeyId { get; set; }

    [Parameter]
    public SwitchParameter SkipValidation { get; set; }

    /// <summary>Creates the destination bucket when it does not exist.</summary>
    [Parameter]
    public SwitchParameter CreateBucket { get; set; }

    /// <summary>Wildcard patterns of relative paths ('/' separators, e.g. 'original/*') to copy besides the default
    /// selection: every file of a folder, or what an import needs of a Hub repository.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? Include { get; set; }

    /// <summary>Wildcard patterns of relative paths to leave out, whatever else selects them.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? Exclude { get; set; }

    protected override async Task ProcessRecordAsync()
    {
        if (!TryParseS3Uri(Destination, out var destination))
        {
            return;
        }

        var settings = new CopySettings
        {
            SkipValidation = SkipValidation,
            CreateBucket = CreateBucket,
            PartSizeBytes = PartSizeBytes,
            Concurrency = Concurrency,
            KmsKeyId = KmsKeyId,
            FileFilter = ImportFileSelection.Build(
                ParameterSetName == HubSet ? ImportFileSelection.IsNeededForImport : ModelSourceFile.IsVisible,
                Matcher(Include), Matcher(Exclude)),
        };
        var copy = ParameterSetName == HubSet
            ? await CopyFromHubAsync(destination, settings).ConfigureAwait(false)
            : await CopyFolderAsync(FolderPath, destination, settings).ConfigureAwait(false);
        if (copy != null)
        {
            WriteObject(copy);
        }
    }

    private static Func<string, bool>? Matcher(string[]? patterns)
    {
        if (patterns == null || patterns.Length == 0)
        {
            return null;
        }

        var compiled = patterns.Select(p => new WildcardPattern(p, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant)).ToArray();
        return path => compiled.Any(pattern => pattern.IsMatch(path));
    }

    private async Task<UploadResult?> CopyFromHubAsync(S3Uri destination, CopySettings settings)
    {
        var (client, hub) = OpenHubSource();
        using var _ = client;
        var revision = await hub.ResolveAsync(CancellationToken).ConfigureAwait(false);
        WriteVerbose($"'{revision.RepoId}' at '{revision.RequestedRevision}' is commit {revision.Sha}: {revision.Files.Count} files, {revision.TotalBytes:N0} bytes.");
        return await CopyAsync(hub, destination, $"the model '{revision.RepoId}' at {revision.Sha}", $"Copy the Hugging Face model '{revision.RepoId}' at {revision.Sha}",
            $"Copying '{revision.RepoId}' to {destination}", settings).ConfigureAwait(false);
    }
}

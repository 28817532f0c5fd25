using System.Management.Automation;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Transfer;

namespace BedrockImport.Infrastructure;

/// <summary>Base of the cmdlets that put a model into S3 (Copy-BedrockModelSource, Start-BedrockModelImport -Path):
/// one flow of validate, confirm, create the bucket, upload with progress.</summary>
public abstract class ModelSourceCmdlet : AwsCmdlet
{
    private const int ProgressId = 0x4B1D;

    protected bool TryParseS3Uri(string value, out S3Uri uri)
    {
        try
        {
            uri = S3Uri.Parse(value);
            return true;
        }
        catch (S3UriFormatException exception)
        {
            WriteError(ErrorRecords.Argument("InvalidS3Uri", exception.Message, value));
            uri = null!;
            return false;
        }
    }

    /// <summary>Uploads a local model folder; null when it was invalid (an error was written) or not confirmed.</summary>
    protected Task<UploadResult?> CopyFolderAsync(string folder, S3Uri destination, CopySettings settings)
    {
        var source = ModelSourceFactory.FromPath(folder);
        var name = Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar));
        return CopyAsync(source, destination, $"the model folder '{folder}'", $"Upload the model folder '{folder}'", $"Copying '{name}' to {destination}", settings);
    }

    /// <summary>Validates the source (unless skipped), asks ShouldProcess, creates the bucket if asked to, and uploads the same
    /// source with progress; null when it was invalid (an error was written) or not confirmed.</summary>
    /// <param name="what">The source in a sentence, e.g. "the model folder '...'".</param>
    /// <param name="action">The ShouldProcess action.</param>
    /// <param name="activity">The progress activity.</param>
    protected async Task<UploadResult?> CopyAsync(IModelSource source, S3Uri destination, string what, string action, string activity, CopySettings settings)
    {
        if (!settings.SkipValidation)
        {
            var report = await ModelPackageValidator.ValidateAsync(source, null, CancellationToken).ConfigureAwait(false);
            if (!report.Passed)
            {
                var problems = string.Join(Environment.NewLine, report.Errors.Select(p => "  " + p));
                WriteError(new ErrorRecord(
                    new BedrockImportException($"{Capitalize(what)} would fail Custom Model Import; nothing was uploaded. Fix these or use -SkipValidation:{Environment.NewLine}{problems}", null),
                    "ModelSourceInvalid", ErrorCategory.InvalidData, report));
                return null;
            }
        }

        if (!await ShouldProcessAsync(destination.ToString(), action).ConfigureAwait(false))
        {
            return null;
        }

        var session = ResolveSession();
        if (settings.CreateBucket && await S3Buckets.EnsureAsync(session, destination.Bucket, Log, CancellationToken).ConfigureAwait(false))
        {
            WriteVerbose($"Created the bucket '{destination.Bucket}'.");
        }

        var request = new UploadRequest(source, destination, session)
        {
            PartSizeBytes = settings.PartSizeBytes > 0 ? settings.PartSizeBytes : (long?)null,
            Concurrency = settings.Concurrency > 0 ? settings.Concurrency : (int?)null,
            KmsKeyId = settings.KmsKeyId,
            FileFilter = settings.FileFilter,
            Log = Log,
        };
        var progress = new ThrottledProgress<TransferProgress>(p => WriteProgress(ToRecord(activity, p)));
        var result = await new ModelUploader().UploadAsync(request, progress, CancellationToken).ConfigureAwait(false);
        WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        WriteVerbose($"Copied {result.Files} files ({result.Bytes:N0} bytes, {result.Skipped} already there) to {result.S3Uri} in {result.Duration.TotalSeconds:F1} s.");
        return result;
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text.Substring(1);

    private static ProgressRecord ToRecord(string activity, TransferProgress p)
    {
        var rate = p.BytesPerSecond > 0 ? $" at {Format.Bytes((long)p.BytesPerSecond)}/s" : "";
        return new ProgressRecord(ProgressId, activity,
            $"{p.Stage}: {Format.Bytes(p.BytesTransferred)} of {Format.Bytes(p.TotalBytes)}{rate}, {p.FilesDone} of {p.FilesTotal} files")
        {
            PercentComplete = p.PercentComplete,
            SecondsRemaining = p.Remaining.HasValue ? (int)Math.Ceiling(p.Remaining.Value.TotalSeconds) : -1,
            CurrentOperation = string.Join(", ", p.CurrentFiles),
        };
    }

    /// <summary>How a copy runs: zero and false are the defaults (validated first, the automatic part size, 6 parts in flight,
    /// the bucket's own encryption).</summary>
    protected sealed class CopySettings
    {
        public bool SkipValidation { get; set; }
        public bool CreateBucket { get; set; }
        public long PartSizeBytes { get; set; }
        public int Concurrency { get; set; }
        public string? KmsKeyId { get; set; }

        /// <summary>Which relative paths to copy; null = every visible file.</summary>
        public Func<string, bool>? FileFilter { get; set; }
    }
}

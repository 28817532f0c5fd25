using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Transfer;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets
{
    /// <summary>Uploads a Hugging Face model folder to S3 for Custom Model Import: validated first, parallel multipart
    /// with a checksum on every part, objects already there skipped, nothing left behind on failure or Ctrl+C.</summary>
    [Cmdlet(VerbsCommon.Copy, "BedrockModelSource", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(UploadResult))]
    public sealed class CopyBedrockModelSourceCommand : AwsCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName", "PSPath")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

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

        protected override async Task ProcessRecordAsync()
        {
            var folder = GetUnresolvedProviderPathFromPSPath(Path);
            if (!Directory.Exists(folder))
            {
                throw new DirectoryNotFoundException($"The model folder '{folder}' does not exist.");
            }

            S3Uri destination;
            try
            {
                destination = S3Uri.Parse(Destination);
            }
            catch (S3UriFormatException exception)
            {
                WriteError(ErrorRecords.Argument("InvalidS3Uri", exception.Message, Destination));
                return;
            }

            if (!SkipValidation)
            {
                var report = await ModelPackageValidator.ValidateAsync(new LocalFolderSource(folder), null, CancellationToken).ConfigureAwait(false);
                if (!report.Passed)
                {
                    var problems = string.Join(Environment.NewLine, report.Errors.Select(p => "  " + p));
                    WriteError(new ErrorRecord(
                        new BedrockImportException($"The model folder '{folder}' would fail Custom Model Import; nothing was uploaded. Fix these or use -SkipValidation:{Environment.NewLine}{problems}", null),
                        "ModelSourceInvalid", ErrorCategory.InvalidData, report));
                    return;
                }
            }

            if (!await ShouldProcessAsync(destination.ToString(), $"Upload the model folder '{folder}'").ConfigureAwait(false))
            {
                return;
            }

            var session = ResolveSession();
            if (CreateBucket && await S3Buckets.EnsureAsync(session, destination.Bucket, Log, CancellationToken).ConfigureAwait(false))
            {
                WriteVerbose($"Created the bucket '{destination.Bucket}'.");
            }

            var request = new UploadRequest(folder, destination, session)
            {
                PartSizeBytes = PartSizeBytes > 0 ? PartSizeBytes : (long?)null,
                Concurrency = Concurrency > 0 ? Concurrency : (int?)null,
                KmsKeyId = KmsKeyId,
                Log = Log,
            };
            var activity = $"Copying '{System.IO.Path.GetFileName(folder.TrimEnd(System.IO.Path.DirectorySeparatorChar))}' to {destination}";
            var progress = new ThrottledProgress<TransferProgress>(p => WriteProgress(ToRecord(activity, p)));
            var result = await new ModelUploader().UploadFolderAsync(request, progress, CancellationToken).ConfigureAwait(false);
            WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
            WriteVerbose($"Copied {result.Files} files ({result.Bytes:N0} bytes, {result.Skipped} already there) to {result.S3Uri} in {result.Duration.TotalSeconds:F1} s.");
            WriteObject(result);
        }

        private const int ProgressId = 0x4B1D;

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
    }
}

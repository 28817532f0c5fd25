using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using BedrockImport.Engine.Hub;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Transfer;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets
{
    /// <summary>Uploads a Hugging Face model folder, or streams a Hugging Face Hub repository, to S3 for Custom Model Import:
    /// validated first, parallel multipart with a checksum on every part, objects already there skipped, nothing left behind
    /// on failure or Ctrl+C.</summary>
    [Cmdlet(VerbsCommon.Copy, "BedrockModelSource", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = PathSet)]
    [OutputType(typeof(UploadResult))]
    public sealed class CopyBedrockModelSourceCommand : AwsCmdlet
    {
        private const string PathSet = "Path";
        private const string HubSet = "HuggingFace";

        [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName", "PSPath")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>A Hub model, "org/name" or https://huggingface.co/org/name[/tree/revision].</summary>
        [Parameter(ParameterSetName = HubSet, Mandatory = true)]
        [Alias("HFModel")]
        [ValidateNotNullOrEmpty]
        public string HuggingFaceModel { get; set; } = "";

        /// <summary>Branch, tag or commit sha (default: main); pinned to its commit before the first byte is read.</summary>
        [Parameter(ParameterSetName = HubSet)]
        [ValidateNotNullOrEmpty]
        public string? Revision { get; set; }

        /// <summary>The Hub to read from; default HF_ENDPOINT, else https://huggingface.co.</summary>
        [Parameter(ParameterSetName = HubSet)]
        [ValidateNotNullOrEmpty]
        public string? HuggingFaceEndpoint { get; set; }

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
            if (ParameterSetName == HubSet)
            {
                await CopyFromHubAsync().ConfigureAwait(false);
                return;
            }

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
            await UploadAsync(request, activity).ConfigureAwait(false);
        }

        private async Task CopyFromHubAsync()
        {
            if (!TryParseDestination(out var destination))
            {
                return;
            }

            using var client = HubCmdletSupport.CreateClient(HuggingFaceEndpoint, Log);
            var hub = new HubModelSource(client, HubCmdletSupport.Reference(HuggingFaceModel, Revision, client));
            WriteVerbose($"Hugging Face Hub {client.Endpoint}, token: {client.TokenSource}.");
            var revision = await hub.ResolveAsync(CancellationToken).ConfigureAwait(false);
            WriteVerbose($"'{revision.RepoId}' at '{revision.RequestedRevision}' is commit {revision.Sha}: {revision.Files.Count} files, {revision.TotalBytes:N0} bytes.");

            if (!SkipValidation)
            {
                var report = await ModelPackageValidator.ValidateAsync(hub, null, CancellationToken).ConfigureAwait(false);
                if (!report.Passed)
                {
                    var problems = string.Join(Environment.NewLine, report.Errors.Select(p => "  " + p));
                    WriteError(new ErrorRecord(
                        new BedrockImportException($"The model '{revision.RepoId}' at {revision.Sha} would fail Custom Model Import; nothing was copied. Fix these or use -SkipValidation:{Environment.NewLine}{problems}", null),
                        "ModelSourceInvalid", ErrorCategory.InvalidData, report));
                    return;
                }
            }

            if (!await ShouldProcessAsync(destination.ToString(), $"Copy the Hugging Face model '{revision.RepoId}' at {revision.Sha}").ConfigureAwait(false))
            {
                return;
            }

            var session = ResolveSession();
            if (CreateBucket && await S3Buckets.EnsureAsync(session, destination.Bucket, Log, CancellationToken).ConfigureAwait(false))
            {
                WriteVerbose($"Created the bucket '{destination.Bucket}'.");
            }

            var request = new UploadRequest(hub, destination, session)
            {
                PartSizeBytes = PartSizeBytes > 0 ? PartSizeBytes : (long?)null,
                Concurrency = Concurrency > 0 ? Concurrency : (int?)null,
                KmsKeyId = KmsKeyId,
                Log = Log,
            };
            await UploadAsync(request, $"Copying '{revision.RepoId}' to {destination}").ConfigureAwait(false);
        }

        private bool TryParseDestination(out S3Uri destination)
        {
            try
            {
                destination = S3Uri.Parse(Destination);
                return true;
            }
            catch (S3UriFormatException exception)
            {
                WriteError(ErrorRecords.Argument("InvalidS3Uri", exception.Message, Destination));
                destination = null!;
                return false;
            }
        }

        private async Task UploadAsync(UploadRequest request, string activity)
        {
            var progress = new ThrottledProgress<TransferProgress>(p => WriteProgress(ToRecord(activity, p)));
            var result = await new ModelUploader().UploadAsync(request, progress, CancellationToken).ConfigureAwait(false);
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

    /// <summary>The Hub client and model reference of the -HuggingFaceModel parameter sets (Copy- and Test-BedrockModelSource).</summary>
    internal static class HubCmdletSupport
    {
        /// <summary>The token comes from HF_TOKEN, HUGGING_FACE_HUB_TOKEN or the token file (HubClient's lookup); it is never logged.</summary>
        public static HubClient CreateClient(string? endpoint, Engine.Diagnostics.IEngineLog log)
        {
            Uri? endpointUri = null;
            if (endpoint != null && (!Uri.TryCreate(endpoint, UriKind.Absolute, out endpointUri) || (endpointUri.Scheme != Uri.UriSchemeHttp && endpointUri.Scheme != Uri.UriSchemeHttps)))
            {
                throw new ArgumentException($"-HuggingFaceEndpoint '{endpoint}' is not an absolute http(s) URL.");
            }

            return new HubClient(new HubClientOptions { Endpoint = endpointUri, Log = log });
        }

        public static HubModelReference Reference(string model, string? revision, HubClient client)
        {
            var parsed = HubModelReference.Parse(model, client.Endpoint);
            if (revision == null)
            {
                return parsed;
            }

            if (parsed.Revision != null && !string.Equals(parsed.Revision, revision, StringComparison.Ordinal))
            {
                throw new ArgumentException($"The URL names revision '{parsed.Revision}' and -Revision names '{revision}': give one.");
            }

            return new HubModelReference(parsed.RepoId, revision);
        }
    }
}

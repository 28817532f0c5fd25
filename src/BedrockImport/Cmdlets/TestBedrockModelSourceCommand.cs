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
    /// <summary>Checks a Hugging Face model folder against Custom Model Import before anything is uploaded. Reads only
    /// config and tokenizer files and the safetensors headers, so a 30 GB folder is checked in seconds.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "BedrockModelSource", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(ModelPackageReport), typeof(bool))]
    public sealed class TestBedrockModelSourceCommand : AwsCmdlet
    {
        private const string PathSet = "Path";
        private const string S3Set = "S3Uri";
        private const string HubSet = "HuggingFace";

        [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName", "PSPath")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>A model folder already in S3, s3://bucket/prefix/ (read with ranged GETs: headers only).</summary>
        [Parameter(ParameterSetName = S3Set, Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string S3Uri { get; set; } = "";

        /// <summary>A Hub model, "org/name" or https://huggingface.co/org/name[/tree/revision] (read with ranged GETs: headers only).</summary>
        [Parameter(ParameterSetName = HubSet, Mandatory = true)]
        [Alias("HFModel")]
        [ValidateNotNullOrEmpty]
        public string HuggingFaceModel { get; set; } = "";

        /// <summary>Branch, tag or commit sha (default: main).</summary>
        [Parameter(ParameterSetName = HubSet)]
        [ValidateNotNullOrEmpty]
        public string? Revision { get; set; }

        /// <summary>The Hub to read from; default HF_ENDPOINT, else https://huggingface.co.</summary>
        [Parameter(ParameterSetName = HubSet)]
        [ValidateNotNullOrEmpty]
        public string? HuggingFaceEndpoint { get; set; }

        /// <summary>Returns only whether the folder passed.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override async Task ProcessRecordAsync()
        {
            HubClient? hubClient = null;
            ModelPackageReport report;
            try
            {
                IModelFileSource source;
                if (ParameterSetName == HubSet)
                {
                    hubClient = HubCmdletSupport.CreateClient(HuggingFaceEndpoint, Log);
                    WriteVerbose($"Hugging Face Hub {hubClient.Endpoint}, token: {hubClient.TokenSource}.");
                    source = new HubModelSource(hubClient, HubCmdletSupport.Reference(HuggingFaceModel, Revision, hubClient));
                }
                else
                {
                    source = OpenSource();
                }

                try
                {
                    report = await ModelPackageValidator.ValidateAsync(source, null, CancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    (source as IDisposable)?.Dispose();
                }
            }
            finally
            {
                hubClient?.Dispose();
            }

            foreach (var warning in report.Warnings)
            {
                WriteVerbose(warning.ToString());
            }

            WriteObject(Quiet ? (object)report.Passed : report);
        }

        private IModelFileSource OpenSource()
        {
            if (ParameterSetName == S3Set)
            {
                return new S3ModelFileSource(ResolveSession(), Engine.Transfer.S3Uri.Parse(S3Uri), Log);
            }

            var folder = GetUnresolvedProviderPathFromPSPath(Path);
            if (!Directory.Exists(folder))
            {
                throw new DirectoryNotFoundException($"The model folder '{folder}' does not exist.");
            }

            return new LocalFolderSource(folder);
        }
    }

    /// <summary>Writes a small Llama-shaped Hugging Face model folder (config, tokenizer files, safetensors shards and
    /// index) to try the import pipeline offline against the local endpoint.</summary>
    [Cmdlet(VerbsCommon.New, "BedrockSampleModel", SupportsShouldProcess = true)]
    [OutputType(typeof(DirectoryInfo))]
    public sealed class NewBedrockSampleModelCommand : AsyncCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        [Parameter]
        [ValidateRange(1, 64)]
        public int ShardCount { get; set; } = 2;

        /// <summary>Approximate size of the weights in bytes (default about 300 KB).</summary>
        [Parameter]
        [ValidateRange(1024L, 1L << 40)]
        public long SizeBytes { get; set; }

        [Parameter]
        [ValidateSet("BF16", "F16", "F32")]
        public string Dtype { get; set; } = "BF16";

        /// <summary>Writes a chat template (an instruct model); by default a base model without one.</summary>
        [Parameter]
        public SwitchParameter ChatTemplate { get; set; }

        /// <summary>Fixed answers for the local endpoint's generator: a hashtable of prompt fragment to response.</summary>
        [Parameter]
        public System.Collections.Hashtable? Response { get; set; }

        protected override async Task ProcessRecordAsync()
        {
            var folder = GetUnresolvedProviderPathFromPSPath(Path);
            if (!await ShouldProcessAsync(folder, "Write a sample model").ConfigureAwait(false))
            {
                return;
            }

            var options = new SyntheticModelOptions
            {
                ShardCount = ShardCount,
                TargetTotalBytes = SizeBytes > 0 ? SizeBytes : (long?)null,
                Dtype = Dtype,
                ChatTemplate = ChatTemplate ? SyntheticChatTemplate.JinjaFile : SyntheticChatTemplate.None,
            };
            if (Response != null)
            {
                options.ExtraFiles["responses.jsonl"] = string.Join("\n", Response.Keys.Cast<object>().Select(key =>
                    System.Text.Json.JsonSerializer.Serialize(new { contains = key.ToString(), response = Response[key]?.ToString() ?? "" })));
            }

            await Task.Run(() => SyntheticModel.Write(folder, options), CancellationToken).ConfigureAwait(false);
            WriteObject(new DirectoryInfo(folder));
        }

        protected override ErrorRecord? ToErrorRecord(Exception exception) => ErrorRecords.From(exception, Path, text => text);
    }
}

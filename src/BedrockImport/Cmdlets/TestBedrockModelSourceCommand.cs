using System.Management.Automation;
using BedrockImport.Engine.Hub;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Sources;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Checks a Hugging Face model folder against Custom Model Import before anything is uploaded. Reads only
/// config and tokenizer files and the safetensors headers, so a 30 GB folder is checked in seconds.</summary>
[Cmdlet(VerbsDiagnostic.Test, "BedrockModelSource", DefaultParameterSetName = PathSet)]
[OutputType(typeof(ModelPackageReport), typeof(bool))]
public sealed class TestBedrockModelSourceCommand : ModelFolderCmdlet
{
    private const string S3Set = "S3Uri";

    /// <summary>A model folder already in S3, s3://bucket/prefix/ (read with ranged GETs: headers only).</summary>
    [Parameter(ParameterSetName = S3Set, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string S3Uri { get; set; } = "";

    /// <summary>Returns only whether the folder passed.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override async Task ProcessRecordAsync()
    {
        HubClient? hubClient = null;
        ModelPackageReport report;
        try
        {
            IModelSource source;
            if (ParameterSetName == HubSet)
            {
                (hubClient, source) = OpenHubSource();
            }
            else
            {
                source = ParameterSetName == S3Set
                    ? ModelSourceFactory.FromS3Uri(ResolveSession(), S3Uri, Log)
                    : ModelSourceFactory.FromPath(FolderPath);
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

        // Each finding a job would not fail on but the user should act on (a missing chat template, a config.json without
        // "architectures") goes to the warning stream as well as into the report.
        foreach (var warning in report.Warnings)
        {
            WriteWarning(warning.Code + (warning.File == null ? "" : " (" + warning.File + ")") + ": " + warning.Message);
        }

        WriteObject(Quiet ? (object)report.Passed : report);
    }
}

using System.Collections;
using System.Management.Automation;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Import;
using S3Engine = BedrockImport.Engine.Transfer;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Starts a model import job (CreateModelImportJob) and outputs the job, after a preflight (ImportPreflight) that stops
/// what would fail and finds a model or a running job already made from the same source, which it outputs instead.</summary>
[Cmdlet(VerbsLifecycle.Start, "BedrockModelImport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = S3Set)]
[OutputType(typeof(ModelImportJob), typeof(ImportedModel))]
public sealed class StartBedrockModelImportCommand : ModelSourceCmdlet
{
    private const string S3Set = "S3Uri";
    private const string PathSet = "Path";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ImportedModelName")]
    [ValidateNotNullOrEmpty]
    public string ModelName { get; set; } = "";

    [Parameter(ParameterSetName = S3Set, Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("S3DataSource_S3Uri", "ModelDataSource_S3DataSource_S3Uri")]
    [ValidateNotNullOrEmpty]
    public string S3Uri { get; set; } = "";

    /// <summary>A local model folder: copied to -StagingS3Uri first (as Copy-BedrockModelSource does), then imported.</summary>
    [Parameter(ParameterSetName = PathSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(ParameterSetName = PathSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string StagingS3Uri { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string RoleArn { get; set; } = "";

    /// <summary>Defaults to &lt;ModelName&gt;-&lt;yyyyMMdd-HHmmss&gt; from the current UTC time.</summary>
    [Parameter]
    public string? JobName { get; set; }

    /// <summary>Defaults to a token derived from the job's values, so a retried call creates nothing new.</summary>
    [Parameter]
    public string? ClientRequestToken { get; set; }

    [Parameter]
    [Alias("JobTag")]
    public Hashtable? Tag { get; set; }

    [Parameter]
    [Alias("ImportedModelTag")]
    public Hashtable? ModelTag { get; set; }

    [Parameter]
    [Alias("ImportedModelKmsKeyId")]
    public string? KmsKeyId { get; set; }

    [Parameter]
    [Alias("VpcConfig_SubnetId")]
    public string[]? VpcSubnetId { get; set; }

    [Parameter]
    [Alias("VpcConfig_SecurityGroupId")]
    public string[]? VpcSecurityGroupId { get; set; }

    /// <summary>Skips the checks that stop an import (bucket region, the model under the prefix, quotas).</summary>
    [Parameter]
    public SwitchParameter SkipPreflight { get; set; }

    /// <summary>When every concurrent-import-job slot of the quota is taken, waits (with progress) for one to come free and then starts.</summary>
    [Parameter]
    public SwitchParameter Queue { get; set; }

    /// <summary>How often -Queue reads the quota again while it waits.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int QueuePollIntervalSec { get; set; } = 15;

    /// <summary>Imports anew even when a model of this name made from the same source exists, or a job for it runs.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>The Hugging Face commit the S3 folder was copied from; bound from Copy-BedrockModelSource -HuggingFaceModel's result.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? HubCommit { get; set; }

    protected override async Task ProcessRecordAsync()
    {
        if (ParameterSetName == PathSet)
        {
            if (!TryParseS3Uri(StagingS3Uri, out var staging))
            {
                return;
            }

            var copy = await CopyFolderAsync(GetUnresolvedProviderPathFromPSPath(Path), staging, new CopySettings()).ConfigureAwait(false);
            if (copy == null && !MyInvocation.BoundParameters.ContainsKey("WhatIf"))
            {
                return;
            }

            S3Uri = copy?.S3Uri ?? "s3://" + staging.Bucket + "/" + staging.FolderPrefix;
        }

        var request = new CreateModelImportJobRequest
        {
            ImportedModelName = ModelName,
            JobName = JobName ?? ImportJobRules.DefaultJobName(ModelName, TestHooks.Now),
            RoleArn = RoleArn,
            ModelDataSource = new ModelDataSource { S3DataSource = new S3DataSource { S3Uri = S3Uri } },
            JobTags = ToTags(Tag),
            ImportedModelTags = ToTags(ModelTag),
            ImportedModelKmsKeyId = KmsKeyId,
            VpcConfig = VpcSubnetId == null && VpcSecurityGroupId == null ? null : new VpcConfig
            {
                SubnetIds = (VpcSubnetId ?? Array.Empty<string>()).ToList(),
                SecurityGroupIds = (VpcSecurityGroupId ?? Array.Empty<string>()).ToList(),
            },
        };
        request.ClientRequestToken = ClientRequestToken ?? ImportJobRules.DeriveClientRequestToken(request);

        var problems = ImportJobRules.Validate(request).ToList();
        if (JobName == null && problems.Any(p => p.Parameter == "ModelName"))
        {
            // The job name was derived from the bad model name: one error, about what the user typed.
            problems.RemoveAll(p => p.Parameter == "JobName");
        }

        if (!string.IsNullOrEmpty(HubCommit) && !(HubCommit!.Length == 40 && HubCommit.All(Uri.IsHexDigit)))
        {
            problems.Add(new ImportRequestProblem("HubCommit", $"The Hugging Face commit '{HubCommit}' is not 40 hexadecimal digits."));
        }

        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                WriteError(ErrorRecords.Argument("InvalidImportParameter", problem.Message, problem.Parameter));
            }

            return;
        }

        var session = ResolveSession();
        var stagingSkipped = ParameterSetName == PathSet && MyInvocation.BoundParameters.ContainsKey("WhatIf");
        if (!session.HasSigV4Credentials && !stagingSkipped)
        {
            // A Bedrock API key alone signs no S3 call: the job can still be created, unchecked and untagged.
            WriteWarning($"No AWS credentials for S3 (only a Bedrock API key): {S3Uri} was not checked, and the import is neither tagged with its source nor reused.");
        }
        else if (!stagingSkipped)
        {
            var preflight = await RunPreflightAsync(session).ConfigureAwait(false);
            if (preflight.ExistingModel != null)
            {
                WriteWarning($"Reused the imported model '{preflight.ExistingModel.ModelName}' ({preflight.ExistingModel.ModelArn}), imported from the same source ({preflight.SourceIdentity}); no job was created. Use -Force to import anew.");
                WriteObject(preflight.ExistingModel);
                return;
            }

            if (preflight.RunningJob != null)
            {
                WriteWarning($"Reused the model import job '{preflight.RunningJob.JobName}' ({preflight.RunningJob.JobArn}), still {preflight.RunningJob.Status}, which imports the same source ({preflight.SourceIdentity}) as '{ModelName}'; no job was created. Use -Force to import anew.");
                WriteObject(preflight.RunningJob);
                return;
            }

            if (preflight.SourceIdentity != null)
            {
                request.JobTags = WithSourceTag(request.JobTags, preflight.SourceIdentity);
                request.ImportedModelTags = WithSourceTag(request.ImportedModelTags, preflight.SourceIdentity);
            }
        }

        var target = $"{request.ImportedModelName} from {S3Uri}";
        if (!await ShouldProcessAsync(target, $"Start model import job '{request.JobName}'").ConfigureAwait(false))
        {
            return;
        }

        using var client = new BedrockControlClient(session, log: Log);
        var jobArn = await client.CreateModelImportJobAsync(request, CancellationToken).ConfigureAwait(false);
        WriteVerbose($"Started model import job '{request.JobName}' ({jobArn}).");
        WriteObject(await client.GetModelImportJobAsync(jobArn, CancellationToken).ConfigureAwait(false));
    }

    private const int QueueProgressId = 0x51A7;

    private async Task<ImportPreflightResult> RunPreflightAsync(AwsSession session)
    {
        var request = new ImportPreflightRequest(S3Engine.S3Uri.Parse(S3Uri), session.Region, ModelName)
        {
            HubCommit = string.IsNullOrEmpty(HubCommit) ? null : HubCommit,
            RunChecks = !SkipPreflight,
            LookForExisting = !Force,
            WaitForImportSlot = Queue,
            ImportSlotPollInterval = TimeSpan.FromSeconds(QueuePollIntervalSec),
            OnImportSlotWait = wait => WriteProgress(new ProgressRecord(QueueProgressId, $"Waiting for a free model import job slot for '{ModelName}'",
                $"{wait.RunningJobs.Count} job(s) in progress ({string.Join(", ", wait.RunningJobs.Select(j => j.JobName))}), quota {wait.Quota:0.##}; waited {wait.Waited.TotalSeconds:F0} s")),
        };
        using var services = new AwsImportPreflightServices(session, Log);
        try
        {
            return await new ImportPreflight(services, Log).RunAsync(request, CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (Queue)
            {
                WriteProgress(new ProgressRecord(QueueProgressId, "Waiting for a free model import job slot", "Done") { RecordType = ProgressRecordType.Completed });
            }
        }
    }

    /// <summary>The tags with the source identity added (a tag the user gave under that key wins).</summary>
    private static List<Tag> WithSourceTag(List<Tag>? tags, string identity)
    {
        var all = tags?.ToList() ?? new List<Tag>();
        if (!all.Any(t => t.Key == ImportSourceIdentity.TagKey))
        {
            all.Add(new Tag { Key = ImportSourceIdentity.TagKey, Value = identity });
        }

        return all;
    }

    private static List<Tag>? ToTags(Hashtable? table)
        => table?.Cast<DictionaryEntry>()
            .Select(e => new Tag { Key = e.Key?.ToString() ?? "", Value = e.Value?.ToString() ?? "" })
            .OrderBy(t => t.Key, StringComparer.Ordinal)
            .ToList();
}

using System.Management.Automation;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Gets model import jobs: one by name or ARN (wildcards list and filter), or all, filtered.</summary>
[Cmdlet(VerbsCommon.Get, "BedrockImportJob", DefaultParameterSetName = ListSet)]
[OutputType(typeof(ModelImportJob))]
public sealed class GetBedrockImportJobCommand : ListCmdlet
{
    [Parameter(ParameterSetName = IdentifierSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("JobArn", "JobName", "Name")]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ImportJobNameCompleter))]
    public string[] JobIdentifier { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = ListSet)]
    [EnumName(typeof(ImportJobStatus)), ValidateEnumName]
    public ImportJobStatus? Status { get; set; }

    protected override async Task ProcessRecordAsync()
    {
        using var client = new BedrockControlClient(ResolveSession(), log: Log);
        var filtered = new ListModelImportJobsRequest { StatusEquals = Status.ToService() };
        ApplyFilters(filtered);
        await WriteListedAsync(() => client.ListModelImportJobsAsync(filtered, CancellationToken), JobIdentifier,
            identifier => client.GetModelImportJobAsync(identifier, CancellationToken),
            () => client.ListModelImportJobsAsync(new ListModelImportJobsRequest(), CancellationToken),
            job => job.JobName, job => job.JobArn).ConfigureAwait(false);
    }
}

using System.Management.Automation;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Gets imported models: one by name or ARN (wildcards list and filter), or all, filtered.</summary>
[Cmdlet(VerbsCommon.Get, "ImportedModel", DefaultParameterSetName = ListSet)]
[OutputType(typeof(ImportedModel))]
public sealed class GetImportedModelCommand : ListCmdlet
{
    [Parameter(ParameterSetName = IdentifierSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ModelArn", "ModelName", "ImportedModelArn", "ModelId", "Name")]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ImportedModelNameCompleter))]
    public string[] ModelIdentifier { get; set; } = Array.Empty<string>();


    protected override async Task ProcessRecordAsync()
    {
        using var client = new BedrockControlClient(ResolveSession(), log: Log);
        var filtered = new ListImportedModelsRequest();
        ApplyFilters(filtered);
        await WriteListedAsync(() => client.ListImportedModelsAsync(filtered, CancellationToken), ModelIdentifier,
            identifier => client.GetImportedModelAsync(identifier, CancellationToken),
            () => client.ListImportedModelsAsync(new ListImportedModelsRequest(), CancellationToken),
            model => model.ModelName, model => model.ModelArn).ConfigureAwait(false);
    }
}

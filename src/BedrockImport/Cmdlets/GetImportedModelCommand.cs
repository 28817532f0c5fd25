using System.Management.Automation;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Gets imported models: one by name or ARN (wildcards list and filter), or all, filtered. Listed models are
/// completed with GetImportedModel (the list API leaves out their custom model units), and -IncludeCost adds an
/// estimate from the module's dated price table.</summary>
[Cmdlet(VerbsCommon.Get, "ImportedModel", DefaultParameterSetName = ListSet)]
[OutputType(typeof(ImportedModel))]
public sealed class GetImportedModelCommand : ListCmdlet
{
    /// <summary>The type name that selects the cost table view for a model written with -IncludeCost.</summary>
    internal const string CostTypeName = "BedrockImport.Engine.Bedrock.ImportedModel#Cost";

    internal const string PriceTableFileName = "custom-model-import-prices.json";

    [Parameter(ParameterSetName = IdentifierSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ModelArn", "ModelName", "ImportedModelArn", "ModelId", "Name")]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ImportedModelNameCompleter))]
    public string[] ModelIdentifier { get; set; } = Array.Empty<string>();

    [Parameter]
    public SwitchParameter IncludeCost { get; set; }

    [Parameter]
    [ValidateRange(1, 10000)]
    public int Copies { get; set; } = 1;

    [Parameter]
    [ValidateRange(0.0, 1000.0)]
    public decimal? PricePerUnitMinute { get; set; }

    [Parameter]
    [ValidateRange(0.0, 100000.0)]
    public decimal? StoragePricePerUnitMonth { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PriceTable { get; set; }

    private CustomModelImportPriceTable? _priceTable;

    protected override async Task ProcessRecordAsync()
    {
        var session = ResolveSession();
        using var client = new BedrockControlClient(session, log: Log);
        var prices = IncludeCost ? LoadPriceTable() : null;
        var filtered = new ListImportedModelsRequest();
        ApplyFilters(filtered);
        await WriteListedAsync(() => client.ListImportedModelsAsync(filtered, CancellationToken), ModelIdentifier,
            identifier => client.GetImportedModelAsync(identifier, CancellationToken),
            () => client.ListImportedModelsAsync(new ListImportedModelsRequest(), CancellationToken),
            model => model.ModelName, model => model.ModelArn,
            listed => CompleteAsync(client, listed),
            model => IncludeCost ? WithCost(model, session.Region, prices) : model).ConfigureAwait(false);
    }

    /// <summary>Every listed model through GetImportedModel, 8 at a time, so the CMUs column is never blank for a listing.</summary>
    private async Task<IReadOnlyList<ImportedModel>> CompleteAsync(BedrockControlClient client, IReadOnlyList<ImportedModel> listed)
    {
        var completed = await ImportedModelDetails.CompleteAsync(listed, client.GetImportedModelAsync, ImportedModelDetails.DefaultConcurrency,
            CancellationToken).ConfigureAwait(false);
        var failures = completed.Where(c => c.Failure != null).ToList();
        if (failures.Count != 0)
        {
            WriteWarning($"GetImportedModel failed for {failures.Count} of {listed.Count} listed models, shown as listed (without custom model units): " +
                Redact(failures[0].Failure!.Message));
        }

        foreach (var gone in completed.Where(c => c.Deleted))
        {
            WriteVerbose($"'{gone.Model.ModelName}' was deleted after it was listed; it is left out.");
        }

        return completed.Where(c => !c.Deleted).Select(c => c.Model).ToList();
    }

    private PSObject WithCost(ImportedModel model, string sessionRegion, CustomModelImportPriceTable? prices)
    {
        var region = CustomModelImportCost.RegionOf(model.ModelArn) ?? sessionRegion;
        var estimate = CustomModelImportCost.Estimate(model, region, prices, Copies, PricePerUnitMinute, StoragePricePerUnitMonth);
        var output = PSObject.AsPSObject(model);
        output.Properties.Add(new PSNoteProperty("Cost", estimate));
        output.TypeNames.Insert(0, CostTypeName);
        return output;
    }

    /// <summary>-PriceTable, else the table shipped in the module folder; none needed when both prices are parameters.</summary>
    private CustomModelImportPriceTable? LoadPriceTable()
    {
        if (_priceTable != null || (PriceTable == null && PricePerUnitMinute != null && StoragePricePerUnitMonth != null))
        {
            return _priceTable;
        }

        var path = PriceTable != null
            ? GetUnresolvedProviderPathFromPSPath(PriceTable)
            : Path.Combine(ModuleFolder.Path, "Pricing", PriceTableFileName);
        if (!File.Exists(path))
        {
            throw new PriceTableFormatException($"The price table '{path}' does not exist." +
                (PriceTable == null ? " The module ships it in Pricing/; give -PriceTable or -PricePerUnitMinute and -StoragePricePerUnitMonth." : ""));
        }

        _priceTable = CustomModelImportPriceTable.Load(path);
        return _priceTable;
    }
}

using System.Text.Json;
using BedrockImport.Engine.Errors;
using BedrockImport.Engine.Json;

namespace BedrockImport.Engine.Bedrock;

/// <summary>Custom Model Import prices of one region, for one custom model unit version.</summary>
public sealed class CustomModelImportRegionPrice
{
    public string? CustomModelUnitsVersion { get; set; }

    /// <summary>Price per custom model unit per minute of a running model copy; null when the table has no figure.</summary>
    public decimal? PricePerCustomModelUnitMinute { get; set; }

    /// <summary>Storage price per custom model unit per month; null when the table has no figure.</summary>
    public decimal? StoragePricePerCustomModelUnitMonth { get; set; }
}

/// <summary>A dated, region-keyed price table (the module ships Pricing/custom-model-import-prices.json).</summary>
public sealed class CustomModelImportPriceTable
{
    /// <summary>The date the figures were recorded (yyyy-MM-dd).</summary>
    public string? AsOf { get; set; }

    /// <summary>Where the figures come from (a URL, and how they were read).</summary>
    public string? Source { get; set; }

    public string? Note { get; set; }

    public string Currency { get; set; } = "USD";

    public Dictionary<string, CustomModelImportRegionPrice> Regions { get; set; } = new Dictionary<string, CustomModelImportRegionPrice>(StringComparer.Ordinal);

    /// <exception cref="PriceTableFormatException">The text is not a price table.</exception>
    public static CustomModelImportPriceTable Parse(string json, string origin)
    {
        CustomModelImportPriceTable? table;
        try
        {
            table = JsonSerializer.Deserialize<CustomModelImportPriceTable>(json, EngineJson.Options);
        }
        catch (JsonException e)
        {
            throw new PriceTableFormatException($"The price table {origin} is not valid JSON: {e.Message}");
        }

        if (table?.Regions == null || table.Regions.Count == 0)
        {
            throw new PriceTableFormatException($"The price table {origin} has no 'regions' object (region name: customModelUnitsVersion, pricePerCustomModelUnitMinute, storagePricePerCustomModelUnitMonth).");
        }

        foreach (var entry in table.Regions)
        {
            if (entry.Value == null || entry.Value.PricePerCustomModelUnitMinute < 0 || entry.Value.StoragePricePerCustomModelUnitMonth < 0)
            {
                throw new PriceTableFormatException($"The price table {origin} has a negative or missing entry for region '{entry.Key}'.");
            }
        }

        return table;
    }

    /// <exception cref="PriceTableFormatException">The file is not a price table.</exception>
    public static CustomModelImportPriceTable Load(string path) => Parse(File.ReadAllText(path), "'" + path + "'");
}

public sealed class PriceTableFormatException : FormatException, IEngineError
{
    public PriceTableFormatException(string message) : base(message)
    {
    }

    public string ErrorId => "InvalidPriceTable";

    public ErrorKind Kind => ErrorKind.InvalidData;
}

/// <summary>What an imported model costs while copies of it run, and to keep, from a price table.</summary>
public sealed class ImportedModelCostEstimate
{
    public string? ModelName { get; set; }
    public string? ModelArn { get; set; }
    public string Region { get; set; } = "";
    public int? CustomModelUnitsPerCopy { get; set; }
    public string? CustomModelUnitsVersion { get; set; }

    /// <summary>The number of running copies the hourly figure is for (the service scales copies with traffic).</summary>
    public int Copies { get; set; }

    public string Currency { get; set; } = "USD";
    public decimal? PricePerUnitMinute { get; set; }

    /// <summary>One copy for one 5-minute billing window: CMUs × price per CMU-minute × 5.</summary>
    public decimal? PricePerCopyPer5Minutes { get; set; }

    /// <summary>One copy for an hour: CMUs × price per CMU-minute × 60.</summary>
    public decimal? PricePerCopyPerHour { get; set; }

    /// <summary>Every copy for an hour: copies × CMUs × price per CMU-minute × 60.</summary>
    public decimal? PricePerHour { get; set; }

    public decimal? StoragePricePerUnitMonth { get; set; }

    /// <summary>Storage for a month, billed until the model is deleted: CMUs × storage price per CMU-month.</summary>
    public decimal? StoragePerMonth { get; set; }

    /// <summary>The date of the price table, or "parameter" when -PricePerUnitMinute gave the price.</summary>
    public string? PricesAsOf { get; set; }

    public string? PriceSource { get; set; }

    /// <summary>Why a figure is missing, or what to check; null when there is nothing to say.</summary>
    public string? Note { get; set; }
}

/// <summary>
/// The billing rule of Custom Model Import (Bedrock user guide, "Calculate the cost of running a custom model"):
/// cost = running copies × CMUs per copy × price per CMU per minute × minutes, counted in 5-minute windows from the
/// first successful invocation; storage is billed per CMU per month until the model is deleted.
/// </summary>
public static class CustomModelImportCost
{
    public const int BillingWindowMinutes = 5;

    public static ImportedModelCostEstimate Estimate(ImportedModel model, string region, CustomModelImportPriceTable? table, int copies = 1,
        decimal? pricePerUnitMinute = null, decimal? storagePricePerUnitMonth = null)
    {
        if (model == null) throw new ArgumentNullException(nameof(model));
        if (copies < 1) throw new ArgumentOutOfRangeException(nameof(copies), copies, "At least one copy.");

        CustomModelImportRegionPrice? regional = null;
        table?.Regions.TryGetValue(region, out regional);
        var notes = new List<string>();
        var units = model.CustomModelUnitsPerCopy;
        var version = model.CustomModelUnits?.CustomModelUnitsVersion;
        var minutePrice = pricePerUnitMinute ?? regional?.PricePerCustomModelUnitMinute;
        var storagePrice = storagePricePerUnitMonth ?? regional?.StoragePricePerCustomModelUnitMonth;

        if (units == null)
        {
            notes.Add("The model has no customModelUnitsPerModelCopy (GetImportedModel did not return it), so nothing can be computed.");
        }

        if (pricePerUnitMinute == null)
        {
            if (regional?.PricePerCustomModelUnitMinute == null)
            {
                notes.Add($"The price table{Dated(table)} has no price per custom model unit minute for {region}; give -PricePerUnitMinute.");
            }
            else if (version != null && regional.CustomModelUnitsVersion != null && !string.Equals(version, regional.CustomModelUnitsVersion, StringComparison.Ordinal))
            {
                notes.Add($"The table's price is for custom model units {regional.CustomModelUnitsVersion}; this model's are {version}, which may bill at another rate.");
            }
        }

        if (storagePricePerUnitMonth == null && regional?.StoragePricePerCustomModelUnitMonth == null)
        {
            notes.Add($"The price table{Dated(table)} has no storage price for {region}; give -StoragePricePerUnitMonth.");
        }

        var perCopyMinute = units * minutePrice;
        return new ImportedModelCostEstimate
        {
            ModelName = model.ModelName,
            ModelArn = model.ModelArn,
            Region = region,
            CustomModelUnitsPerCopy = units,
            CustomModelUnitsVersion = version,
            Copies = copies,
            Currency = table?.Currency ?? "USD",
            PricePerUnitMinute = minutePrice,
            PricePerCopyPer5Minutes = perCopyMinute * BillingWindowMinutes,
            PricePerCopyPerHour = perCopyMinute * 60,
            PricePerHour = perCopyMinute * 60 * copies,
            StoragePricePerUnitMonth = storagePrice,
            StoragePerMonth = units * storagePrice,
            PricesAsOf = pricePerUnitMinute != null ? "parameter" : table?.AsOf,
            PriceSource = pricePerUnitMinute != null ? "-PricePerUnitMinute" : table?.Source,
            Note = notes.Count == 0 ? null : string.Join(" ", notes),
        };
    }

    /// <summary>The region of a Bedrock ARN (arn:aws:bedrock:REGION:account:…), or null.</summary>
    public static string? RegionOf(string? arn)
    {
        var parts = arn?.Split(':');
        return parts != null && parts.Length >= 6 && parts[0] == "arn" && parts[3].Length != 0 ? parts[3] : null;
    }

    private static string Dated(CustomModelImportPriceTable? table)
        => table?.AsOf == null ? "" : $" (dated {table.AsOf})";
}

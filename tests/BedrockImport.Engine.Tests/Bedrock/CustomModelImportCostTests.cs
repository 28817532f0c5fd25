using System.Text.Json;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Bedrock;

public class CustomModelImportCostTests
{
    private const string TableJson = """
        {
          "asOf": "2026-12-03",
          "source": "test table",
          "currency": "USD",
          "regions": {
            "us-east-1": { "customModelUnitsVersion": "v1.0", "pricePerCustomModelUnitMinute": 0.05718, "storagePricePerCustomModelUnitMonth": 1.95 },
            "ap-south-1": { "customModelUnitsVersion": "v1.0" }
          }
        }
        """;

    private static ImportedModel Model(int? units, string version = "v1.0") => new()
    {
        ModelName = "youko",
        ModelArn = "arn:aws:bedrock:us-east-1:111122223333:imported-model/abcdefghijkl",
        CustomModelUnits = units == null ? null : new CustomModelUnits { CustomModelUnitsPerModelCopy = units, CustomModelUnitsVersion = version },
    };

    private static CustomModelImportPriceTable Table() => CustomModelImportPriceTable.Parse(TableJson, "(test)");

    [Fact]
    public void Two_units_at_the_table_price_cost_what_the_billing_rule_says_worked_by_hand()
    {
        var estimate = CustomModelImportCost.Estimate(Model(2), "us-east-1", Table());
        // 2 CMUs x 0.05718 per CMU-minute = 0.11436 per minute for one copy.
        Assert.Equal(0.5718m, estimate.PricePerCopyPer5Minutes);   // x 5 minutes
        Assert.Equal(6.8616m, estimate.PricePerCopyPerHour);       // x 60 minutes
        Assert.Equal(6.8616m, estimate.PricePerHour);              // one copy
        Assert.Equal(3.90m, estimate.StoragePerMonth);             // 2 x 1.95
        Assert.Equal("2026-12-03", estimate.PricesAsOf);
        Assert.Equal("test table", estimate.PriceSource);
        Assert.Equal("USD", estimate.Currency);
        Assert.Null(estimate.Note);
    }

    [Fact]
    public void The_hourly_price_of_all_copies_scales_with_the_copies_and_storage_does_not()
    {
        var estimate = CustomModelImportCost.Estimate(Model(8), "us-east-1", Table(), copies: 3);
        Assert.Equal(27.4464m, estimate.PricePerCopyPerHour);      // 8 x 0.05718 x 60
        Assert.Equal(82.3392m, estimate.PricePerHour);             // x 3 copies
        Assert.Equal(15.60m, estimate.StoragePerMonth);            // 8 x 1.95, once per model
    }

    [Fact]
    public void Parameters_override_the_table_and_say_so()
    {
        var estimate = CustomModelImportCost.Estimate(Model(2), "us-east-1", Table(), pricePerUnitMinute: 0.1m, storagePricePerUnitMonth: 2m);
        Assert.Equal(1.0m, estimate.PricePerCopyPer5Minutes);
        Assert.Equal(12.0m, estimate.PricePerCopyPerHour);
        Assert.Equal(4m, estimate.StoragePerMonth);
        Assert.Equal("parameter", estimate.PricesAsOf);
    }

    [Fact]
    public void A_region_without_figures_gives_no_price_and_a_note_naming_the_region_and_the_parameter()
    {
        var estimate = CustomModelImportCost.Estimate(Model(2), "ap-south-1", Table());
        Assert.Null(estimate.PricePerCopyPer5Minutes);
        Assert.Null(estimate.StoragePerMonth);
        Assert.Contains("ap-south-1", estimate.Note);
        Assert.Contains("-PricePerUnitMinute", estimate.Note);
        Assert.Contains("2026-12-03", estimate.Note);

        var absent = CustomModelImportCost.Estimate(Model(2), "sa-east-1", Table());
        Assert.Null(absent.PricePerHour);
        Assert.Contains("sa-east-1", absent.Note);
    }

    [Fact]
    public void A_model_without_units_gets_no_figure_and_says_why()
    {
        var estimate = CustomModelImportCost.Estimate(Model(null), "us-east-1", Table());
        Assert.Null(estimate.PricePerCopyPerHour);
        Assert.Contains("customModelUnitsPerModelCopy", estimate.Note);
    }

    [Fact]
    public void Another_unit_version_than_the_tables_is_noted()
    {
        var estimate = CustomModelImportCost.Estimate(Model(2, "v2.0"), "us-east-1", Table());
        Assert.Equal(0.5718m, estimate.PricePerCopyPer5Minutes);
        Assert.Contains("v2.0", estimate.Note);
    }

    [Theory]
    [InlineData("arn:aws:bedrock:eu-central-1:111122223333:imported-model/abcdefghijkl", "eu-central-1")]
    [InlineData("youko", null)]
    [InlineData(null, null)]
    public void Region_comes_from_the_model_arn(string arn, string expected)
    {
        Assert.Equal(expected, CustomModelImportCost.RegionOf(arn));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("""{ "regions": { "us-east-1": { "pricePerCustomModelUnitMinute": -1 } } }""")]
    public void A_malformed_table_is_refused(string json)
    {
        Assert.Equal("InvalidPriceTable", Assert.Throws<PriceTableFormatException>(() => CustomModelImportPriceTable.Parse(json, "(test)")).ErrorId);
    }

    [Fact]
    public void The_shipped_table_is_dated_sourced_and_every_figure_is_positive()
    {
        var path = Path.Combine(RepositoryRoot(), "src", "BedrockImport", "Pricing", "custom-model-import-prices.json");
        var table = CustomModelImportPriceTable.Load(path);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", table.AsOf);
        Assert.Contains("https://aws.amazon.com/bedrock/pricing/", table.Source);
        Assert.False(string.IsNullOrWhiteSpace(table.Note));
        Assert.NotEmpty(table.Regions);
        foreach (var region in table.Regions.Values)
        {
            Assert.True(region.PricePerCustomModelUnitMinute is null or > 0);
            Assert.True(region.StoragePricePerCustomModelUnitMonth is null or > 0);
        }

        using var raw = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(table.Regions.Count, raw.RootElement.GetProperty("regions").EnumerateObject().Count());
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder != null && !File.Exists(Path.Combine(folder.FullName, "BedrockImport.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("BedrockImport.sln not found above " + AppContext.BaseDirectory);
    }
}

public class ImportedModelDetailsTests
{
    private static ImportedModel Summary(string name) => new() { ModelName = name, ModelArn = "arn:aws:bedrock:us-east-1:111122223333:imported-model/" + name.PadRight(12, 'x') };

    [Fact]
    public async Task Every_listed_model_is_completed_in_list_order_with_at_most_the_limit_in_flight()
    {
        var listed = Enumerable.Range(0, 30).Select(i => Summary("m" + i)).ToList();
        var inFlight = 0;
        var most = 0;
        var gate = new object();
        async Task<ImportedModel> Get(string arn, CancellationToken token)
        {
            lock (gate) { most = Math.Max(most, ++inFlight); }
            await Task.Yield();
            await Task.Delay(5, token);
            lock (gate) { inFlight--; }
            var name = listed.Single(m => m.ModelArn == arn).ModelName;
            return new ImportedModel { ModelName = name, ModelArn = arn, CustomModelUnits = new CustomModelUnits { CustomModelUnitsPerModelCopy = name.Length } };
        }

        var completed = await ImportedModelDetails.CompleteAsync(listed, Get, 4, CancellationToken.None);

        Assert.Equal(listed.Select(m => m.ModelName), completed.Select(c => c.Model.ModelName));
        Assert.All(completed, c => Assert.Equal(c.Model.ModelName.Length, c.Model.CustomModelUnitsPerCopy));
        Assert.True(most <= 4, $"{most} calls were in flight at once");
    }

    [Fact]
    public async Task A_model_deleted_since_the_listing_is_marked_and_another_failure_keeps_the_summary()
    {
        var listed = new[] { Summary("gone"), Summary("denied"), Summary("fine") };
        Task<ImportedModel> Get(string arn, CancellationToken token) => arn.Contains("gone")
            ? throw new ResourceNotFoundException("not found", 404, "r1")
            : arn.Contains("denied")
                ? throw new AccessDeniedException("no bedrock:GetImportedModel", 403, "r2")
                : Task.FromResult(new ImportedModel { ModelName = "fine", ModelArn = arn, CustomModelUnits = new CustomModelUnits { CustomModelUnitsPerModelCopy = 1 } });

        var completed = await ImportedModelDetails.CompleteAsync(listed, Get, 8, CancellationToken.None);

        Assert.True(completed[0].Deleted);
        Assert.Null(completed[0].Failure);
        Assert.False(completed[1].Deleted);
        Assert.IsType<AccessDeniedException>(completed[1].Failure);
        Assert.Same(listed[1], completed[1].Model);
        Assert.Equal(1, completed[2].Model.CustomModelUnitsPerCopy);
        Assert.Null(completed[2].Failure);
    }
}

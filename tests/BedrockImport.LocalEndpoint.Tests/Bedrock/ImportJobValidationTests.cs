using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Sources;
using Codes = BedrockImport.Engine.ModelPackage.ModelPackageProblemCodes;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

public sealed class SharedBedrockEndpoint : IAsyncLifetime
{
    internal BedrockTestEndpoint Endpoint { get; private set; }

    public async Task InitializeAsync() => Endpoint = await BedrockTestEndpoint.StartAsync();

    public async Task DisposeAsync() => await Endpoint.DisposeAsync();
}

/// <summary>Each validation rule, through a real import job: upload a defective SyntheticModel with AWSSDK.S3, create the job, read it back.</summary>
public class ImportJobValidationTests : IClassFixture<SharedBedrockEndpoint>
{
    private readonly BedrockTestEndpoint _endpoint;

    public ImportJobValidationTests(SharedBedrockEndpoint shared) => _endpoint = shared.Endpoint;

    /// <summary>The message the validator gives for the same folder on disk (its single error, of the given code).</summary>
    private static string ExpectedMessage(SyntheticModelOptions options, string code = Codes.DtypeNotSupported)
    {
        var folder = Path.Combine(Path.GetTempPath(), "bi-bedrock-expected", Guid.NewGuid().ToString("N"));
        try
        {
            SyntheticModel.Write(folder, options);
            var report = ModelPackageValidator.Validate(new LocalFolderSource(folder));
            var error = Assert.Single(report.Errors);
            Assert.Equal(code, error.Code);
            return error.Message;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(SyntheticModelDefect.ConfigMissing, Codes.ConfigMissing)]
    [InlineData(SyntheticModelDefect.ConfigInvalidJson, Codes.ConfigInvalidJson)]
    [InlineData(SyntheticModelDefect.ConfigNoArchitecture, Codes.ConfigNoArchitecture)]
    [InlineData(SyntheticModelDefect.UnsupportedArchitecture, Codes.ArchitectureUnsupported)]
    [InlineData(SyntheticModelDefect.ContextTooLong, Codes.ContextTooLong)]
    [InlineData(SyntheticModelDefect.OnlyBinWeights, Codes.NoSafetensors)]
    [InlineData(SyntheticModelDefect.SafetensorsTruncated, Codes.SafetensorsTruncated)]
    [InlineData(SyntheticModelDefect.SafetensorsHeaderTooLarge, Codes.SafetensorsHeaderTooLarge)]
    [InlineData(SyntheticModelDefect.SafetensorsHeaderInvalidJson, Codes.SafetensorsHeaderInvalid)]
    [InlineData(SyntheticModelDefect.SafetensorsUnknownDtype, Codes.SafetensorsUnknownDtype)]
    [InlineData(SyntheticModelDefect.SafetensorsTensorSizeMismatch, Codes.SafetensorsTensorSizeMismatch)]
    [InlineData(SyntheticModelDefect.SafetensorsOffsetsOverlap, Codes.SafetensorsOffsetsOverlap)]
    [InlineData(SyntheticModelDefect.SafetensorsOffsetsNotContiguous, Codes.SafetensorsOffsetsNotContiguous)]
    [InlineData(SyntheticModelDefect.SafetensorsFileSizeMismatch, Codes.SafetensorsFileSizeMismatch)]
    [InlineData(SyntheticModelDefect.IndexInvalidJson, Codes.IndexInvalid)]
    [InlineData(SyntheticModelDefect.IndexMissingShard, Codes.IndexMissingShard)]
    [InlineData(SyntheticModelDefect.TensorInTwoShards, Codes.TensorInTwoShards)]
    [InlineData(SyntheticModelDefect.TensorNotInIndex, Codes.TensorNotInIndex)]
    [InlineData(SyntheticModelDefect.IndexTensorNotInShard, Codes.IndexTensorNotInShard)]
    [InlineData(SyntheticModelDefect.TokenizerMissing, Codes.TokenizerMissing)]
    [InlineData(SyntheticModelDefect.TokenizerConfigMissing, Codes.TokenizerConfigMissing)]
    public async Task Each_rule_fails_the_job_with_its_own_failure_message(SyntheticModelDefect defect, string code)
    {
        var options = new SyntheticModelOptions { Defect = defect };
        var s3Uri = await _endpoint.UploadModelAsync(options);

        var (_, job) = await _endpoint.ImportAsync(s3Uri);

        Assert.Equal("Failed", job.GetProperty("status").GetString());
        Assert.Equal(ExpectedMessage(options, code), job.GetProperty("failureMessage").GetString());
        Assert.False(job.TryGetProperty("importedModelArn", out _));
        Assert.True(job.TryGetProperty("endTime", out _));
    }

    [Theory]
    [InlineData("I8")]
    [InlineData("F8_E4M3")]
    public async Task Quantized_weights_fail_the_job(string dtype)
    {
        var options = new SyntheticModelOptions { Dtype = dtype };
        var (_, job) = await _endpoint.ImportAsync(await _endpoint.UploadModelAsync(options));

        Assert.Equal("Failed", job.GetProperty("status").GetString());
        Assert.Equal(ExpectedMessage(options), job.GetProperty("failureMessage").GetString());
        Assert.Contains(dtype, job.GetProperty("failureMessage").GetString());
    }

    [Fact]
    public async Task Failure_messages_differ_per_kind_of_problem()
    {
        var messages = new HashSet<string>();
        foreach (var defect in new[] { SyntheticModelDefect.ConfigMissing, SyntheticModelDefect.TokenizerMissing, SyntheticModelDefect.SafetensorsTruncated, SyntheticModelDefect.IndexMissingShard })
        {
            var (_, job) = await _endpoint.ImportAsync(await _endpoint.UploadModelAsync(new SyntheticModelOptions { Defect = defect }));
            Assert.True(messages.Add(job.GetProperty("failureMessage").GetString()));
        }
    }

    [Fact]
    public async Task Two_problems_are_both_reported()
    {
        var s3Uri = await _endpoint.UploadModelAsync(new SyntheticModelOptions { Defect = SyntheticModelDefect.TokenizerMissing, Dtype = "I8" });
        var (_, job) = await _endpoint.ImportAsync(s3Uri);
        var message = job.GetProperty("failureMessage").GetString();
        Assert.Contains("tokenizer.json", message);
        Assert.Contains("I8", message);
    }

    [Fact]
    public async Task An_empty_prefix_fails_with_an_actionable_message()
    {
        await _endpoint.UploadModelAsync(bucket: "models", prefix: "present");
        var (_, job) = await _endpoint.ImportAsync("s3://models/absent/");
        Assert.Equal("Failed", job.GetProperty("status").GetString());
        Assert.Contains("No model files were found at s3://models/absent/", job.GetProperty("failureMessage").GetString());
    }

    [Fact]
    public async Task A_missing_bucket_fails_with_an_actionable_message()
    {
        var (_, job) = await _endpoint.ImportAsync("s3://no-such-bucket/model/");
        Assert.Contains("'no-such-bucket'", job.GetProperty("failureMessage").GetString());
    }

    [Fact]
    public async Task A_bucket_name_s3_reserves_fails_as_an_s3_uri_that_is_not_valid()
    {
        // The service's pattern accepts it; the S3 bucket naming rules (the Engine's S3Uri) reserve the xn-- prefix.
        var (_, job) = await _endpoint.ImportAsync("s3://xn--reserved/model/");
        Assert.Equal("Failed", job.GetProperty("status").GetString());
        Assert.Contains("'s3://xn--reserved/model/': it is not a valid S3 URI", job.GetProperty("failureMessage").GetString());
    }

    [Theory]
    [InlineData(SyntheticChatTemplate.InTokenizerConfig, true)]
    [InlineData(SyntheticChatTemplate.JinjaFile, true)]
    [InlineData(SyntheticChatTemplate.None, false)]
    public async Task A_valid_model_completes_with_architecture_instruct_flag_and_units(SyntheticChatTemplate template, bool instruct)
    {
        var (_, job) = await _endpoint.ImportAsync(await _endpoint.UploadModelAsync(new SyntheticModelOptions { ChatTemplate = template, ShardCount = 2 }));
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.False(job.TryGetProperty("failureMessage", out _));

        var modelArn = job.GetProperty("importedModelArn").GetString();
        var model = await BedrockTestEndpoint.JsonAsync(await _endpoint.SendAsync(HttpMethod.Get, "imported-models/" + Uri.EscapeDataString(modelArn)), System.Net.HttpStatusCode.OK);
        Assert.Equal("llama", model.GetProperty("modelArchitecture").GetString());
        Assert.Equal(instruct, model.GetProperty("instructSupported").GetBoolean());
        Assert.Equal(1, model.GetProperty("customModelUnits").GetProperty("customModelUnitsPerModelCopy").GetInt32());
        Assert.Equal(job.GetProperty("jobArn").GetString(), model.GetProperty("jobArn").GetString());
    }
}

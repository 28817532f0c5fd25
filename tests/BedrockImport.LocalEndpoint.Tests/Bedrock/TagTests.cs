using System.Net;
using System.Text.Json;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Import;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

/// <summary>ListTagsForResource: the tags CreateModelImportJob was given, on the job and on the model it created; and the
/// engine's preflight services against the endpoint.</summary>
public sealed class TagTests
{
    private static readonly RetryOptions NoRetries = new() { MaxAttempts = 1, ColdStartBudget = TimeSpan.Zero };

    private static AwsSession Session(BedrockTestEndpoint endpoint) => AwsSessionResolver.Resolve(new CredentialRequest
    {
        AccessKey = endpoint.Endpoint.Server.AccessKeyId,
        SecretKey = endpoint.Endpoint.Server.SecretAccessKey,
        Region = endpoint.Endpoint.Server.Region,
        EndpointUrl = endpoint.Endpoint.Server.BaseUrl.ToString(),
    }, new ProcessEnvironment(), NullEngineLog.Instance);

    private static async Task<string> CreateTaggedJobAsync(BedrockImportTestContext context)
    {
        using var control = new BedrockControlClient(Session(context.Endpoint), NoRetries);
        return await control.CreateModelImportJobAsync(new CreateModelImportJobRequest
        {
            JobName = "tagged-job", ImportedModelName = "tagged-model", RoleArn = BedrockTestEndpoint.RoleArn,
            ModelDataSource = new ModelDataSource { S3DataSource = new S3DataSource { S3Uri = context.S3Uri } },
            JobTags = new List<Tag> { new() { Key = "team", Value = "ml" }, new() { Key = ImportSourceIdentity.TagKey, Value = "hf-commit:" + new string('a', 40) } },
            ImportedModelTags = new List<Tag> { new() { Key = "stage", Value = "test" } },
        }, CancellationToken.None);
    }

    private sealed record BedrockImportTestContext(BedrockTestEndpoint Endpoint, string S3Uri);

    [Fact]
    public async Task The_job_and_its_model_answer_the_tags_they_were_created_with()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync();
        var jobArn = await CreateTaggedJobAsync(new(endpoint, await endpoint.UploadModelAsync()));
        using var control = new BedrockControlClient(Session(endpoint), NoRetries);
        var job = await control.GetModelImportJobAsync(jobArn, CancellationToken.None);

        var jobTags = await control.ListTagsForResourceAsync(jobArn, CancellationToken.None);
        var modelTags = await control.ListTagsForResourceAsync(job.ImportedModelArn!, CancellationToken.None);

        Assert.Equal(new[] { "team=ml", ImportSourceIdentity.TagKey + "=hf-commit:" + new string('a', 40) }, jobTags.Select(t => t.Key + "=" + t.Value));
        Assert.Equal(new[] { "stage=test" }, modelTags.Select(t => t.Key + "=" + t.Value));
    }

    [Fact]
    public async Task A_model_not_imported_yet_or_deleted_and_an_unknown_arn_are_not_found()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.Bedrock.ImportDurationMs = 60_000);
        var jobArn = await CreateTaggedJobAsync(new(endpoint, await endpoint.UploadModelAsync()));
        var record = JsonDocument.Parse(await (await endpoint.SendAsync(HttpMethod.Get, "model-import-jobs/" + Uri.EscapeDataString(jobArn))).Content.ReadAsStringAsync());
        Assert.Equal("InProgress", record.RootElement.GetProperty("status").GetString());
        var modelArn = Assert.Single(Directory.GetFiles(Path.Combine(endpoint.Endpoint.DataDirectory, "bedrock", "import-jobs"), "*.json")
            .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("importedModelArn").GetString()));

        var pending = await endpoint.SendAsync(HttpMethod.Post, "listTagsForResource", new { resourceARN = modelArn });
        var unknown = await endpoint.SendAsync(HttpMethod.Post, "listTagsForResource", new { resourceARN = "arn:aws:bedrock:us-east-1:123456789012:imported-model/zzzzzzzzzzzz" });
        var missing = await endpoint.SendAsync(HttpMethod.Post, "listTagsForResource", new { });

        await BedrockTestEndpoint.ErrorAsync(pending, 404, "ResourceNotFoundException");
        await BedrockTestEndpoint.ErrorAsync(unknown, 404, "ResourceNotFoundException");
        await BedrockTestEndpoint.ErrorAsync(missing, 400, "ValidationException");
        var jobTags = await BedrockTestEndpoint.JsonAsync(await endpoint.SendAsync(HttpMethod.Post, "listTagsForResource", new { resourceARN = jobArn }), HttpStatusCode.OK);
        Assert.Equal(2, jobTags.GetProperty("tags").GetArrayLength());

        endpoint.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.OK, (await endpoint.SendAsync(HttpMethod.Post, "listTagsForResource", new { resourceARN = modelArn })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await endpoint.SendAsync(HttpMethod.Delete, "imported-models/" + Uri.EscapeDataString(modelArn))).StatusCode);
        await BedrockTestEndpoint.ErrorAsync(await endpoint.SendAsync(HttpMethod.Post, "listTagsForResource", new { resourceARN = modelArn }), 404, "ResourceNotFoundException");
    }

    [Fact]
    public async Task The_preflight_finds_a_tagged_model_of_the_same_name_on_the_endpoint_and_reads_another_regions_bucket()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync();
        var s3Uri = await endpoint.UploadModelAsync();
        var session = Session(endpoint);
        using var services = new AwsImportPreflightServices(session, NullEngineLog.Instance);
        var request = new ImportPreflightRequest(S3Uri.Parse(s3Uri), "us-east-1", "reused");
        var first = await new ImportPreflight(services).RunAsync(request, CancellationToken.None);
        Assert.Null(first.ExistingModel);
        Assert.StartsWith(ImportSourceIdentity.ObjectDigestPrefix, first.SourceIdentity);

        using var control = new BedrockControlClient(session, NoRetries);
        var tags = new List<Tag> { new() { Key = ImportSourceIdentity.TagKey, Value = first.SourceIdentity! } };
        await control.CreateModelImportJobAsync(new CreateModelImportJobRequest
        {
            JobName = "reused-job", ImportedModelName = "reused", RoleArn = BedrockTestEndpoint.RoleArn,
            ModelDataSource = new ModelDataSource { S3DataSource = new S3DataSource { S3Uri = s3Uri } },
            JobTags = tags, ImportedModelTags = tags,
        }, CancellationToken.None);

        var second = await new ImportPreflight(services).RunAsync(request, CancellationToken.None);
        Assert.Equal("reused", second.ExistingModel?.ModelName);
        Assert.Equal("reused-job", second.ExistingModel?.JobName);

        using var s3 = endpoint.Endpoint.S3();
        await s3.PutBucketAsync(new Amazon.S3.Model.PutBucketRequest { BucketName = "tokyo", BucketRegionName = "ap-northeast-1" });
        Assert.Equal("ap-northeast-1", await services.GetBucketRegionAsync("tokyo", CancellationToken.None));
        Assert.Equal("us-east-1", await services.GetBucketRegionAsync("models", CancellationToken.None));
    }
}

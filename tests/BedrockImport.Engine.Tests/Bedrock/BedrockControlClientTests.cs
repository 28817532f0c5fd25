using System.Net;
using System.Text;
using System.Text.Json;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Tests.Wire;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Bedrock;

public class BedrockControlClientTests
{
    private static string Summary(int n, string created) =>
        $"{{\"jobArn\":\"arn:aws:bedrock:us-east-1:111122223333:model-import-job/job{n:D9}\",\"jobName\":\"job-{n}\",\"status\":\"Completed\",\"creationTime\":\"{created}\"}}";

    [Fact]
    public async Task ListModelImportJobs_FollowsEveryPage_AndSendsFilters()
    {
        var handler = new FakeHandler((request, i) => i switch
        {
            0 => FakeHandler.Json(HttpStatusCode.OK, $"{{\"nextToken\":\"page2\",\"modelImportJobSummaries\":[{Summary(1, "2026-01-02T03:04:05Z")},{Summary(2, "2026-01-02T03:04:05.123Z")}]}}"),
            1 => FakeHandler.Json(HttpStatusCode.OK, $"{{\"nextToken\":\"page3\",\"modelImportJobSummaries\":[]}}"),
            _ => FakeHandler.Json(HttpStatusCode.OK, $"{{\"modelImportJobSummaries\":[{Summary(3, "2026-01-02T03:04:05.5+02:00")}]}}"),
        });
        using var client = Kit.Control(handler);

        var jobs = await client.ListModelImportJobsAsync(new ListModelImportJobsRequest
        {
            CreationTimeAfter = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            StatusEquals = "Completed",
            MaxResults = 2,
            SortBy = "CreationTime",
        }, CancellationToken.None);

        Assert.Equal(new[] { "job-1", "job-2", "job-3" }, jobs.Select(j => j.JobName));
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), jobs[0].CreationTime);
        Assert.Equal(DateTimeKind.Utc, jobs[0].CreationTime!.Value.Kind);
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, 123, DateTimeKind.Utc), jobs[1].CreationTime);
        Assert.Equal(new DateTime(2026, 1, 2, 1, 4, 5, 500, DateTimeKind.Utc), jobs[2].CreationTime);
        Assert.Equal(3, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal("/model-import-jobs", r.Uri.AbsolutePath));
        Assert.All(handler.Requests, r => Assert.Equal(HttpMethod.Get, r.Method));
        var firstQuery = handler.Requests[0].Uri.Query;
        Assert.Contains("creationTimeAfter=2026-01-01T00%3A00%3A00Z", firstQuery);
        Assert.Contains("statusEquals=Completed", firstQuery);
        Assert.Contains("maxResults=2", firstQuery);
        Assert.Contains("sortBy=CreationTime", firstQuery);
        Assert.DoesNotContain("nextToken", firstQuery);
        Assert.Contains("nextToken=page2", handler.Requests[1].Uri.Query);
        Assert.Contains("nextToken=page3", handler.Requests[2].Uri.Query);
        Assert.Contains("statusEquals=Completed", handler.Requests[2].Uri.Query);
    }

    [Fact]
    public async Task ListImportedModels_ReadsModelSummariesAcrossPages()
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Json(HttpStatusCode.OK, "{\"nextToken\":\"t\",\"modelSummaries\":[{\"modelArn\":\"arn:a\",\"modelName\":\"a\",\"creationTime\":\"2026-01-01T00:00:00Z\",\"instructSupported\":true,\"modelArchitecture\":\"llama\"}]}"),
            () => FakeHandler.Json(HttpStatusCode.OK, "{\"modelSummaries\":[{\"modelArn\":\"arn:b\",\"modelName\":\"b\",\"creationTime\":1767225600}]}"));
        using var client = Kit.Control(handler);

        var models = await client.ListImportedModelsAsync(new ListImportedModelsRequest(), CancellationToken.None);

        Assert.Equal(new[] { "a", "b" }, models.Select(m => m.ModelName));
        Assert.True(models[0].InstructSupported);
        Assert.Equal("llama", models[0].ModelArchitecture);
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), models[1].CreationTime);
        Assert.Equal("/imported-models", handler.Requests[1].Uri.AbsolutePath);
        Assert.Equal("?nextToken=t", handler.Requests[1].Uri.Query);
    }

    [Fact]
    public async Task Listing_ThatRepeatsItsNextToken_StopsWithUnexpectedResponse()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.OK, "{\"nextToken\":\"same\",\"modelSummaries\":[]}"));
        using var client = Kit.Control(handler);

        await Assert.ThrowsAsync<UnexpectedResponseException>(() => client.ListImportedModelsAsync(null, CancellationToken.None));

        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task GetModelImportJob_ParsesEveryField()
    {
        var json = """
        {"jobArn":"arn:aws:bedrock:us-east-1:111122223333:model-import-job/abcdefabcdef","jobName":"job-1","importedModelName":"model-1",
         "importedModelArn":"arn:aws:bedrock:us-east-1:111122223333:imported-model/abc123def456","roleArn":"arn:aws:iam::111122223333:role/r",
         "modelDataSource":{"s3DataSource":{"s3Uri":"s3://bucket/prefix/"}},"status":"Failed","failureMessage":"bad config.json",
         "creationTime":"2026-01-01T10:00:00Z","lastModifiedTime":"2026-01-01T10:05:00.5Z","endTime":"2026-01-01T10:06:00Z",
         "vpcConfig":{"subnetIds":["subnet-1"],"securityGroupIds":["sg-1"]},"importedModelKmsKeyArn":"arn:aws:kms:us-east-1:111122223333:key/k","unknownNewField":42}
        """;
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.OK, json));
        using var client = Kit.Control(handler);

        var job = await client.GetModelImportJobAsync("job-1", CancellationToken.None);

        Assert.Equal("job-1", job.JobName);
        Assert.Equal("model-1", job.ImportedModelName);
        Assert.Equal("Failed", job.Status);
        Assert.Equal("bad config.json", job.FailureMessage);
        Assert.Equal("s3://bucket/prefix/", job.S3Uri);
        Assert.Equal(new DateTime(2026, 1, 1, 10, 5, 0, 500, DateTimeKind.Utc), job.LastModifiedTime);
        Assert.Equal(new DateTime(2026, 1, 1, 10, 6, 0, DateTimeKind.Utc), job.EndTime);
        Assert.Equal(new[] { "subnet-1" }, job.VpcConfig!.SubnetIds);
        Assert.Equal("/model-import-jobs/job-1", handler.Requests[0].Uri.AbsolutePath);
    }

    [Fact]
    public async Task GetImportedModel_EncodesArnLabel_AndParsesCustomModelUnits()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.OK,
            "{\"modelArn\":\"" + Kit.ModelArn + "\",\"modelName\":\"m\",\"customModelUnits\":{\"customModelUnitsPerModelCopy\":2,\"customModelUnitsVersion\":\"v1.0\"}}"));
        using var client = Kit.Control(handler);

        var model = await client.GetImportedModelAsync(Kit.ModelArn, CancellationToken.None);

        Assert.Equal(2, model.CustomModelUnitsPerCopy);
        Assert.Equal("v1.0", model.CustomModelUnits!.CustomModelUnitsVersion);
        Assert.Equal("/imported-models/" + Kit.EncodedModelArn, handler.Requests[0].Uri.AbsolutePath);
        Assert.Equal("/imported-models/" + Kit.EncodedModelArn, handler.Requests[0].Uri.GetComponents(UriComponents.Path | UriComponents.KeepDelimiter, UriFormat.UriEscaped));
    }

    [Fact]
    public async Task CreateModelImportJob_PostsWireJson_Accepts201_AndReusesClientTokenAcrossRetries()
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Error(HttpStatusCode.InternalServerError, "InternalServerException", "retry me"),
            () => FakeHandler.Json(HttpStatusCode.Created, "{\"jobArn\":\"arn:aws:bedrock:us-east-1:111122223333:model-import-job/abcdefabcdef\"}"));
        using var client = Kit.Control(handler);
        var request = new CreateModelImportJobRequest
        {
            JobName = "job-1",
            ImportedModelName = "model-1",
            RoleArn = "arn:aws:iam::111122223333:role/Import",
            ModelDataSource = new ModelDataSource { S3DataSource = new S3DataSource { S3Uri = "s3://bucket/prefix/" } },
            JobTags = new List<Tag> { new() { Key = "team", Value = "ml" } },
        };

        var arn = await client.CreateModelImportJobAsync(request, CancellationToken.None);

        Assert.Equal("arn:aws:bedrock:us-east-1:111122223333:model-import-job/abcdefabcdef", arn);
        Assert.Null(request.ClientRequestToken);
        Assert.Equal(2, handler.Requests.Count);
        var sent = handler.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        var root = sent[0];
        Assert.Equal(HttpMethod.Post, handler.Requests[0].Method);
        Assert.Equal("/model-import-jobs", handler.Requests[0].Uri.AbsolutePath);
        Assert.Equal("application/json", handler.Requests[0].Header("Content-Type"));
        Assert.Equal("job-1", root.GetProperty("jobName").GetString());
        Assert.Equal("model-1", root.GetProperty("importedModelName").GetString());
        Assert.Equal("s3://bucket/prefix/", root.GetProperty("modelDataSource").GetProperty("s3DataSource").GetProperty("s3Uri").GetString());
        Assert.Equal("team", root.GetProperty("jobTags")[0].GetProperty("key").GetString());
        Assert.False(root.TryGetProperty("vpcConfig", out _));
        var token = root.GetProperty("clientRequestToken").GetString();
        Assert.False(string.IsNullOrEmpty(token));
        Assert.Equal(token, sent[1].GetProperty("clientRequestToken").GetString());
    }

    [Fact]
    public async Task DeleteImportedModel_SendsDeleteWithoutBodyOrContentType()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Raw(HttpStatusCode.OK, null, Array.Empty<byte>()));
        using var client = Kit.Control(handler);

        await client.DeleteImportedModelAsync("my-model", CancellationToken.None);

        var request = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Delete, request.Method);
        Assert.Equal("/imported-models/my-model", request.Uri.AbsolutePath);
        Assert.Empty(request.Body);
        Assert.Null(request.Header("Content-Type"));
        Assert.True(SigV4Verifier.Verify(request, Kit.SecretKey).Valid);
    }

    [Fact]
    public async Task EachOperation_LogsOneVerboseLine_WithoutSecrets()
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Error((HttpStatusCode)429, "ThrottlingException", "slow"),
            () => FakeHandler.Json(HttpStatusCode.OK, "{\"jobName\":\"j\"}"));
        var log = new RecordingLog();
        using var client = Kit.Control(handler, log: log, session: Kit.Session(sessionToken: true));

        await client.GetModelImportJobAsync("j", CancellationToken.None);

        Assert.Single(log.VerboseLines, l => l.StartsWith("Invoking "));
        Assert.Contains("Invoking Amazon Bedrock operation 'GetModelImportJob' in region 'us-east-1' on endpoint 'http://127.0.0.1:1234/'", log.VerboseLines);
        Assert.All(log.All, l => Assert.DoesNotContain(Kit.SecretKey, l));
        Assert.All(log.All, l => Assert.DoesNotContain(Kit.SessionToken, l));
    }

    [Fact]
    public async Task InvokeModel_SendsContentTypeAndAccept_AndReadsTokenHeaders()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.OK, "{\"generation\":\"hi\"}",
            ("x-amzn-RequestId", "rid"), ("x-amzn-bedrock-input-token-count", "12"), ("x-amzn-bedrock-output-token-count", "34"), ("x-amzn-bedrock-invocation-latency", "567")));
        using var client = Kit.Runtime(handler);

        var result = await client.InvokeModelAsync(new InvokeModelRequest { ModelId = Kit.ModelArn, Body = Encoding.UTF8.GetBytes("{\"prompt\":\"x\"}") }, CancellationToken.None);

        Assert.Equal(12, result.InputTokenCount);
        Assert.Equal(34, result.OutputTokenCount);
        Assert.Equal(567, result.InvocationLatencyMs);
        Assert.Equal("rid", result.RequestId);
        Assert.StartsWith("application/json", result.ContentType);
        var request = Assert.Single(handler.Requests);
        Assert.Equal($"/model/{Kit.EncodedModelArn}/invoke", request.Uri.AbsolutePath);
        Assert.Equal("application/json", request.Header("Content-Type"));
        Assert.Equal("application/json", request.Header("Accept"));
        Assert.Null(request.Header("X-Amzn-Bedrock-Accept"));
    }
}

using System.Net;
using BedrockImport.Engine.ModelPackage;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

public class ControlPlaneTests : IClassFixture<SharedBedrockEndpoint>
{
    private readonly BedrockTestEndpoint _endpoint;

    public ControlPlaneTests(SharedBedrockEndpoint shared) => _endpoint = shared.Endpoint;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N").Substring(0, 10);

    [Fact]
    public async Task Create_answers_201_with_a_job_arn_of_the_service_shape()
    {
        var response = await _endpoint.CreateJobAsync(await _endpoint.UploadModelAsync());
        var body = await BedrockTestEndpoint.JsonAsync(response, HttpStatusCode.Created);
        Assert.Matches("^arn:aws:bedrock:us-east-1:123456789012:model-import-job/[a-z0-9]{12}$", body.GetProperty("jobArn").GetString());
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("x-amzn-RequestId").Single()));
    }

    [Fact]
    public async Task Get_works_by_name_and_by_arn_and_shows_the_request()
    {
        var s3Uri = await _endpoint.UploadModelAsync();
        var name = Unique("job-");
        var modelName = Unique("model_");
        var created = await BedrockTestEndpoint.JsonAsync(await _endpoint.CreateJobAsync(s3Uri, name, modelName), HttpStatusCode.Created);
        var arn = created.GetProperty("jobArn").GetString();

        var byName = await _endpoint.GetJobAsync(name);
        var byArn = await _endpoint.GetJobAsync(arn);

        Assert.Equal(arn, byName.GetProperty("jobArn").GetString());
        Assert.Equal(name, byArn.GetProperty("jobName").GetString());
        Assert.Equal(modelName, byArn.GetProperty("importedModelName").GetString());
        Assert.Equal(BedrockTestEndpoint.RoleArn, byArn.GetProperty("roleArn").GetString());
        Assert.Equal(s3Uri, byArn.GetProperty("modelDataSource").GetProperty("s3DataSource").GetProperty("s3Uri").GetString());
        Assert.Matches("^arn:aws:bedrock:us-east-1:123456789012:imported-model/[a-z0-9]{12}$", byArn.GetProperty("importedModelArn").GetString());
        Assert.EndsWith("Z", byArn.GetProperty("creationTime").GetString());
    }

    [Theory]
    [InlineData("bad name", "model", "arn:aws:iam::123456789012:role/R", "s3://models/x/", "jobName")]
    [InlineData("-starts-with-dash", "model", "arn:aws:iam::123456789012:role/R", "s3://models/x/", "jobName")]
    [InlineData("job", "model.dots", "arn:aws:iam::123456789012:role/R", "s3://models/x/", "importedModelName")]
    [InlineData("job", "model", "arn:aws:iam::123456789012:user/R", "s3://models/x/", "roleArn")]
    [InlineData("job", "model", "arn:aws:iam::123456789012:role/R", "https://models/x/", "s3Uri")]
    [InlineData("job", "model", "arn:aws:iam::123456789012:role/R", "s3://Models/x/", "s3Uri")]
    [InlineData("", "model", "arn:aws:iam::123456789012:role/R", "s3://models/x/", "jobName")]
    public async Task Members_are_checked_against_the_anchored_service_patterns(string jobName, string modelName, string roleArn, string s3Uri, string member)
    {
        var response = await _endpoint.SendAsync(HttpMethod.Post, "model-import-jobs", new
        {
            jobName, importedModelName = modelName, roleArn, modelDataSource = new { s3DataSource = new { s3Uri } },
        });
        var message = await BedrockTestEndpoint.ErrorAsync(response, 400, "ValidationException");
        Assert.Contains(member, message);
    }

    [Fact]
    public async Task A_job_name_longer_than_63_characters_is_rejected()
    {
        var response = await _endpoint.CreateJobAsync("s3://models/x/", jobName: new string('a', 64));
        Assert.Contains("length less than or equal to 63", await BedrockTestEndpoint.ErrorAsync(response, 400, "ValidationException"));
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_serialization_error()
    {
        var response = await _endpoint.SendAsync(HttpMethod.Post, "model-import-jobs", "{not json");
        await BedrockTestEndpoint.ErrorAsync(response, 400, "SerializationException");
    }

    [Fact]
    public async Task Client_request_token_makes_create_idempotent()
    {
        var s3Uri = await _endpoint.UploadModelAsync();
        var token = Unique("tok");
        var name = Unique("job-");

        var first = await BedrockTestEndpoint.JsonAsync(await _endpoint.CreateJobAsync(s3Uri, name, token: token), HttpStatusCode.Created);
        var second = await BedrockTestEndpoint.JsonAsync(await _endpoint.CreateJobAsync(s3Uri, name, token: token), HttpStatusCode.Created);
        var third = await BedrockTestEndpoint.JsonAsync(await _endpoint.CreateJobAsync(s3Uri, Unique("job-"), token: token), HttpStatusCode.Created);

        Assert.Equal(first.GetProperty("jobArn").GetString(), second.GetProperty("jobArn").GetString());
        Assert.Equal(first.GetProperty("jobArn").GetString(), third.GetProperty("jobArn").GetString());
        var list = await BedrockTestEndpoint.JsonAsync(await _endpoint.SendAsync(HttpMethod.Get, "model-import-jobs?nameContains=" + name), HttpStatusCode.OK);
        Assert.Single(list.GetProperty("modelImportJobSummaries").EnumerateArray());
    }

    [Fact]
    public async Task A_duplicate_job_name_without_token_is_a_conflict()
    {
        var s3Uri = await _endpoint.UploadModelAsync();
        var name = Unique("job-");
        await BedrockTestEndpoint.JsonAsync(await _endpoint.CreateJobAsync(s3Uri, name), HttpStatusCode.Created);
        var message = await BedrockTestEndpoint.ErrorAsync(await _endpoint.CreateJobAsync(s3Uri, name), 400, "ConflictException");
        Assert.Contains(name, message);
    }

    [Fact]
    public async Task A_duplicate_model_name_is_a_conflict_until_the_model_is_deleted()
    {
        var s3Uri = await _endpoint.UploadModelAsync();
        var modelName = Unique("model-");
        var (_, job) = await _endpoint.ImportAsync(s3Uri, modelName);
        Assert.Equal("Completed", job.GetProperty("status").GetString());

        await BedrockTestEndpoint.ErrorAsync(await _endpoint.CreateJobAsync(s3Uri, modelName: modelName), 400, "ConflictException");

        var deleted = await _endpoint.SendAsync(HttpMethod.Delete, "imported-models/" + modelName);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        await BedrockTestEndpoint.JsonAsync(await _endpoint.CreateJobAsync(s3Uri, modelName: modelName), HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_failed_import_does_not_hold_the_model_name()
    {
        var modelName = Unique("model-");
        var (_, failed) = await _endpoint.ImportAsync(await _endpoint.UploadModelAsync(new SyntheticModelOptions { Defect = SyntheticModelDefect.ConfigMissing }), modelName);
        Assert.Equal("Failed", failed.GetProperty("status").GetString());
        await BedrockTestEndpoint.JsonAsync(await _endpoint.CreateJobAsync(await _endpoint.UploadModelAsync(), modelName: modelName), HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("model-import-jobs/no-such-job")]
    [InlineData("model-import-jobs/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Amodel-import-job%2Fabcdefabcdef")]
    [InlineData("imported-models/no-such-model")]
    [InlineData("imported-models/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aimported-model%2Fabcdefabcdef")]
    public async Task Unknown_jobs_and_models_are_not_found(string path)
    {
        await BedrockTestEndpoint.ErrorAsync(await _endpoint.SendAsync(HttpMethod.Get, path), 404, "ResourceNotFoundException");
    }

    [Fact]
    public async Task Deleting_an_unknown_model_is_not_found_and_a_bad_identifier_is_invalid()
    {
        await BedrockTestEndpoint.ErrorAsync(await _endpoint.SendAsync(HttpMethod.Delete, "imported-models/nothing-here"), 404, "ResourceNotFoundException");
        await BedrockTestEndpoint.ErrorAsync(await _endpoint.SendAsync(HttpMethod.Delete, "imported-models/bad.name"), 400, "ValidationException");
    }

    [Fact]
    public async Task Get_delete_and_list_imported_models_by_name_or_arn()
    {
        var modelName = Unique("model-");
        var (_, job) = await _endpoint.ImportAsync(await _endpoint.UploadModelAsync(), modelName);
        var modelArn = job.GetProperty("importedModelArn").GetString();

        var byName = await BedrockTestEndpoint.JsonAsync(await _endpoint.SendAsync(HttpMethod.Get, "imported-models/" + modelName), HttpStatusCode.OK);
        Assert.Equal(modelArn, byName.GetProperty("modelArn").GetString());
        var list = await BedrockTestEndpoint.JsonAsync(await _endpoint.SendAsync(HttpMethod.Get, "imported-models?nameContains=" + modelName), HttpStatusCode.OK);
        var summary = Assert.Single(list.GetProperty("modelSummaries").EnumerateArray());
        Assert.Equal(modelArn, summary.GetProperty("modelArn").GetString());
        Assert.True(summary.GetProperty("instructSupported").GetBoolean());

        Assert.Equal(HttpStatusCode.OK, (await _endpoint.SendAsync(HttpMethod.Delete, "imported-models/" + Uri.EscapeDataString(modelArn))).StatusCode);
        await BedrockTestEndpoint.ErrorAsync(await _endpoint.SendAsync(HttpMethod.Get, "imported-models/" + modelName), 404, "ResourceNotFoundException");
        var after = await BedrockTestEndpoint.JsonAsync(await _endpoint.SendAsync(HttpMethod.Get, "imported-models?nameContains=" + modelName), HttpStatusCode.OK);
        Assert.Empty(after.GetProperty("modelSummaries").EnumerateArray());
    }

    [Fact]
    public async Task List_filters_sorts_and_pages()
    {
        var tag = Unique("pg");
        var s3Uri = await _endpoint.UploadModelAsync();
        var arns = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var created = await BedrockTestEndpoint.JsonAsync(await _endpoint.CreateJobAsync(s3Uri, $"{tag}-{i}"), HttpStatusCode.Created);
            arns.Add(created.GetProperty("jobArn").GetString());
            _endpoint.Clock.Advance(TimeSpan.FromMilliseconds(10));
        }

        var seen = new List<string>();
        string next = null;
        var pages = 0;
        do
        {
            var url = $"model-import-jobs?nameContains={tag}&maxResults=2&sortBy=CreationTime&sortOrder=Ascending" + (next is null ? "" : "&nextToken=" + Uri.EscapeDataString(next));
            var page = await BedrockTestEndpoint.JsonAsync(await _endpoint.SendAsync(HttpMethod.Get, url), HttpStatusCode.OK);
            var summaries = page.GetProperty("modelImportJobSummaries").EnumerateArray().ToList();
            Assert.True(summaries.Count <= 2);
            seen.AddRange(summaries.Select(s => s.GetProperty("jobArn").GetString()));
            next = page.TryGetProperty("nextToken", out var token) ? token.GetString() : null;
            pages++;
        } while (next is not null);

        Assert.Equal(3, pages);
        Assert.Equal(arns, seen);

        var descending = await BedrockTestEndpoint.JsonAsync(await _endpoint.SendAsync(HttpMethod.Get, $"model-import-jobs?nameContains={tag}&sortOrder=Descending"), HttpStatusCode.OK);
        Assert.Equal(Enumerable.Reverse(arns), descending.GetProperty("modelImportJobSummaries").EnumerateArray().Select(s => s.GetProperty("jobArn").GetString()));

        var completed = await BedrockTestEndpoint.JsonAsync(await _endpoint.SendAsync(HttpMethod.Get, $"model-import-jobs?nameContains={tag}&statusEquals=Failed"), HttpStatusCode.OK);
        Assert.Empty(completed.GetProperty("modelImportJobSummaries").EnumerateArray());
    }

    [Theory]
    [InlineData("model-import-jobs?maxResults=0")]
    [InlineData("model-import-jobs?maxResults=1001")]
    [InlineData("model-import-jobs?statusEquals=Done")]
    [InlineData("model-import-jobs?sortOrder=Up")]
    [InlineData("model-import-jobs?nextToken=garbage")]
    [InlineData("imported-models?sortBy=Name")]
    public async Task List_parameters_are_validated(string path)
    {
        await BedrockTestEndpoint.ErrorAsync(await _endpoint.SendAsync(HttpMethod.Get, path), 400, "ValidationException");
    }

    [Fact]
    public async Task Creation_time_filters_select_jobs()
    {
        var tag = Unique("tf");
        var s3Uri = await _endpoint.UploadModelAsync();
        await BedrockTestEndpoint.JsonAsync(await _endpoint.CreateJobAsync(s3Uri, tag + "-old"), HttpStatusCode.Created);
        _endpoint.Clock.Advance(TimeSpan.FromSeconds(2));
        var cut = _endpoint.Clock.GetUtcNow().AddSeconds(-1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        await BedrockTestEndpoint.JsonAsync(await _endpoint.CreateJobAsync(s3Uri, tag + "-new"), HttpStatusCode.Created);

        var after = await BedrockTestEndpoint.JsonAsync(await _endpoint.SendAsync(HttpMethod.Get, $"model-import-jobs?nameContains={tag}&creationTimeAfter={Uri.EscapeDataString(cut)}"), HttpStatusCode.OK);
        var before = await BedrockTestEndpoint.JsonAsync(await _endpoint.SendAsync(HttpMethod.Get, $"model-import-jobs?nameContains={tag}&creationTimeBefore={Uri.EscapeDataString(cut)}"), HttpStatusCode.OK);

        Assert.Equal(tag + "-new", Assert.Single(after.GetProperty("modelImportJobSummaries").EnumerateArray()).GetProperty("jobName").GetString());
        Assert.Equal(tag + "-old", Assert.Single(before.GetProperty("modelImportJobSummaries").EnumerateArray()).GetProperty("jobName").GetString());
    }
}

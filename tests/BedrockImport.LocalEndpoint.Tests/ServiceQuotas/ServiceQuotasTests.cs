using System.Net;
using System.Text;
using System.Text.Json;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Quotas;
using BedrockImport.Engine.Wire;
using BedrockImport.LocalEndpoint.Tests.Bedrock;

namespace BedrockImport.LocalEndpoint.Tests.ServiceQuotas;

/// <summary>The endpoint's Service Quotas (JSON 1.1 on the one port) driven by the Engine's client and quota service,
/// and the Bedrock control plane's refusal beyond the quotas.</summary>
public class ServiceQuotasTests
{
    private static readonly RetryOptions NoRetries = new() { MaxAttempts = 1, ColdStartBudget = TimeSpan.Zero };

    private static AwsSession Session(BedrockTestEndpoint endpoint) => AwsSessionResolver.Resolve(new CredentialRequest
    {
        AccessKey = endpoint.Endpoint.Server.AccessKeyId,
        SecretKey = endpoint.Endpoint.Server.SecretAccessKey,
        Region = endpoint.Endpoint.Server.Region,
        EndpointUrl = endpoint.Endpoint.Server.BaseUrl.ToString(),
    }, new ProcessEnvironment(), NullEngineLog.Instance);

    private static BedrockImportQuotas Quotas(BedrockTestEndpoint endpoint) => new(Session(endpoint), NoRetries);

    private static Task<HttpResponseMessage> SendAsync(BedrockTestEndpoint endpoint, string operation, object input)
        => endpoint.Endpoint.SendSignedAsync(HttpMethod.Post, "/", Encoding.UTF8.GetBytes(JsonSerializer.Serialize(input)),
            new Dictionary<string, string>
            {
                ["Content-Type"] = "application/x-amz-json-1.1",
                ["X-Amz-Target"] = "ServiceQuotasV20190624." + operation,
            }, service: "servicequotas");

    [Fact]
    public async Task Quotas_are_found_by_name_with_applied_and_default_values_and_usage_follows_imports_and_deletes()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k =>
        {
            k.ServiceQuotas.ImportedModels.AppliedValue = 5;
            k.ServiceQuotas.ConcurrentImportJobs.AppliedValue = null;
        });
        using var quotas = Quotas(endpoint);

        var before = await quotas.GetAsync(CancellationToken.None);
        var models = Assert.Single(before, q => q.Kind == ImportQuotaKind.ImportedModels);
        Assert.Equal("Imported models per account", models.Name);
        Assert.Equal(5, models.AppliedValue);
        Assert.Equal(3, models.DefaultValue);
        Assert.Equal(5, models.Value);
        Assert.Equal(0, models.Usage);
        Assert.Equal(5, models.Remaining);
        Assert.True(models.Adjustable);
        var jobs = Assert.Single(before, q => q.Kind == ImportQuotaKind.ConcurrentImportJobs);
        Assert.Null(jobs.AppliedValue);
        Assert.Equal(1, jobs.Value);
        Assert.StartsWith("L-", jobs.QuotaCode);

        await endpoint.ImportModelAsync();
        var second = await endpoint.ImportModelAsync();
        var afterImports = await quotas.GetAsync(ImportQuotaKind.ImportedModels, CancellationToken.None);
        Assert.Equal(2, afterImports.Usage);
        Assert.Equal(3, afterImports.Remaining);

        using var control = new BedrockControlClient(Session(endpoint), NoRetries);
        await control.DeleteImportedModelAsync(second, CancellationToken.None);
        Assert.Equal(1, (await quotas.GetAsync(ImportQuotaKind.ImportedModels, CancellationToken.None)).Usage);
    }

    [Fact]
    public async Task ListServiceQuotas_leaves_out_a_quota_without_an_applied_value_and_pages_with_MaxResults()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.ServiceQuotas.ConcurrentImportJobs.AppliedValue = null);
        using var client = new ServiceQuotasClient(Session(endpoint), NoRetries);

        var applied = await client.ListServiceQuotasAsync("bedrock", CancellationToken.None);
        var defaults = await client.ListAWSDefaultServiceQuotasAsync("bedrock", CancellationToken.None);
        Assert.DoesNotContain(applied, q => q.QuotaName == "Concurrent model import jobs");
        Assert.Contains(defaults, q => q.QuotaName == "Concurrent model import jobs" && q.Value == 1);
        Assert.Equal(defaults.Count - 1, applied.Count);

        var first = await SendAsync(endpoint, "ListAWSDefaultServiceQuotas", new { ServiceCode = "bedrock", MaxResults = 2 });
        Assert.Equal("application/x-amz-json-1.1", first.Content.Headers.ContentType?.MediaType);
        using var page = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        Assert.Equal(2, page.RootElement.GetProperty("Quotas").GetArrayLength());
        Assert.True(page.RootElement.TryGetProperty("NextToken", out var token));
        var rest = await SendAsync(endpoint, "ListAWSDefaultServiceQuotas", new { ServiceCode = "bedrock", MaxResults = 100, NextToken = token.GetString() });
        using var restPage = JsonDocument.Parse(await rest.Content.ReadAsStringAsync());
        Assert.Equal(defaults.Count - 2, restPage.RootElement.GetProperty("Quotas").GetArrayLength());
    }

    [Fact]
    public async Task An_increase_request_moves_from_PENDING_to_CASE_OPENED_to_APPROVED_and_then_raises_the_applied_value()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.ServiceQuotas.RequestStepMs = 60_000);
        using var quotas = Quotas(endpoint);
        var current = (await quotas.GetAsync(ImportQuotaKind.ConcurrentImportJobs, CancellationToken.None)).Value!.Value;

        var request = await quotas.RequestIncreaseAsync(ImportQuotaKind.ConcurrentImportJobs, current + 5, CancellationToken.None);
        Assert.Equal("PENDING", request.Status);
        Assert.Null(request.CaseId);
        Assert.Equal(current + 5, request.DesiredValue);

        var again = await Assert.ThrowsAsync<AwsServiceException>(
            () => quotas.RequestIncreaseAsync(ImportQuotaKind.ConcurrentImportJobs, current + 6, CancellationToken.None));
        Assert.Equal("ResourceAlreadyExistsException", again.ErrorCode);

        endpoint.Clock.Advance(TimeSpan.FromSeconds(61));
        var opened = Assert.Single(await quotas.GetHistoryAsync(CancellationToken.None));
        Assert.Equal("CASE_OPENED", opened.Status);
        Assert.NotNull(opened.CaseId);
        Assert.Equal(request.Id, opened.Id);
        Assert.Equal(current, (await quotas.GetAsync(ImportQuotaKind.ConcurrentImportJobs, CancellationToken.None)).Value);

        endpoint.Clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal("APPROVED", Assert.Single(await quotas.GetHistoryAsync(CancellationToken.None)).Status);
        Assert.Equal(current + 5, (await quotas.GetAsync(ImportQuotaKind.ConcurrentImportJobs, CancellationToken.None)).AppliedValue);
    }

    [Fact]
    public async Task Increase_requests_survive_a_restart()
    {
        var data = TestEndpoint.NewDataDirectory();
        var clock = new ManualClock();
        string id;
        await using (var endpoint = await BedrockTestEndpoint.StartAsync(k => k.ServiceQuotas.RequestStepMs = 60_000, data, clock))
        {
            using var quotas = Quotas(endpoint);
            id = (await quotas.RequestIncreaseAsync(ImportQuotaKind.ImportedModels, 500, CancellationToken.None)).Id;
        }

        clock.Advance(TimeSpan.FromMinutes(3));
        await using (var endpoint = await BedrockTestEndpoint.StartAsync(null, data, clock))
        {
            using var quotas = Quotas(endpoint);
            var history = Assert.Single(await quotas.GetHistoryAsync(CancellationToken.None));
            Assert.Equal(id, history.Id);
            Assert.Equal("APPROVED", history.Status);
            Assert.Equal(500, (await quotas.GetAsync(ImportQuotaKind.ImportedModels, CancellationToken.None)).Value);
        }
    }

    [Fact]
    public async Task The_service_refuses_a_non_adjustable_quota_a_value_not_above_it_and_an_unknown_quota()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.ServiceQuotas.ImportedModels.Adjustable = false);
        using var client = new ServiceQuotasClient(Session(endpoint), NoRetries);
        var defaults = await client.ListAWSDefaultServiceQuotasAsync("bedrock", CancellationToken.None);
        var models = defaults.Single(q => q.QuotaName == "Imported models per account");
        var jobs = defaults.Single(q => q.QuotaName == "Concurrent model import jobs");
        Assert.False(models.Adjustable);

        var notAdjustable = await Assert.ThrowsAsync<AwsServiceException>(() => client.RequestServiceQuotaIncreaseAsync(
            new RequestServiceQuotaIncreaseRequest { ServiceCode = "bedrock", QuotaCode = models.QuotaCode!, DesiredValue = 1000 }, CancellationToken.None));
        Assert.Equal("IllegalArgumentException", notAdjustable.ErrorCode);
        Assert.Contains("not adjustable", notAdjustable.Message);

        var notAbove = await Assert.ThrowsAsync<AwsServiceException>(() => client.RequestServiceQuotaIncreaseAsync(
            new RequestServiceQuotaIncreaseRequest { ServiceCode = "bedrock", QuotaCode = jobs.QuotaCode!, DesiredValue = 1 }, CancellationToken.None));
        Assert.Equal("IllegalArgumentException", notAbove.ErrorCode);

        var unknown = await Assert.ThrowsAsync<AwsServiceException>(() => client.GetServiceQuotaAsync("bedrock", "L-00000000", CancellationToken.None));
        Assert.Equal("NoSuchResourceException", unknown.ErrorCode);
        Assert.Equal(Engine.Errors.ErrorKind.NotFound, unknown.Kind);
        var otherService = await Assert.ThrowsAsync<AwsServiceException>(() => client.ListServiceQuotasAsync("ec2", CancellationToken.None));
        Assert.Equal("NoSuchResourceException", otherService.ErrorCode);
        Assert.Empty(await client.ListRequestedServiceQuotaChangeHistoryByQuotaAsync("bedrock", models.QuotaCode!, null, CancellationToken.None));
    }

    [Fact]
    public async Task A_JSON_1_1_error_names_its_type_in_the_body()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync();
        var response = await SendAsync(endpoint, "GetServiceQuota", new { ServiceCode = "bedrock" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("IllegalArgumentException", body.RootElement.GetProperty("__type").GetString());
        Assert.Contains("QuotaCode", body.RootElement.GetProperty("Message").GetString());
    }

    [Fact]
    public async Task CreateModelImportJob_is_refused_while_the_concurrent_jobs_quota_is_taken_and_accepted_once_the_job_ends()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k =>
        {
            k.Bedrock.ImportDurationMs = 60_000;
            k.ServiceQuotas.ConcurrentImportJobs.AppliedValue = 1;
        });
        var uri = await endpoint.UploadModelAsync();
        Assert.Equal(HttpStatusCode.Created, (await endpoint.CreateJobAsync(uri)).StatusCode);

        var refused = await endpoint.CreateJobAsync(uri);
        var message = await BedrockTestEndpoint.ErrorAsync(refused, 400, "ServiceQuotaExceededException");
        Assert.Contains("1 concurrent model import jobs", message);

        endpoint.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.Created, (await endpoint.CreateJobAsync(uri)).StatusCode);
    }

    [Fact]
    public async Task CreateModelImportJob_is_refused_at_the_imported_models_quota_until_a_model_is_deleted()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.ServiceQuotas.ImportedModels.AppliedValue = 1);
        var model = await endpoint.ImportModelAsync();
        var uri = await endpoint.UploadModelAsync();

        await BedrockTestEndpoint.ErrorAsync(await endpoint.CreateJobAsync(uri), 400, "ServiceQuotaExceededException");

        Assert.Equal(HttpStatusCode.OK, (await endpoint.SendAsync(HttpMethod.Delete, "imported-models/" + Uri.EscapeDataString(model))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await endpoint.CreateJobAsync(uri)).StatusCode);
    }

    [Fact]
    public void A_quota_knob_given_partly_keeps_the_defaults_of_the_members_it_leaves_out()
    {
        var knobs = Knobs.KnobStore.Deserialize("{\"serviceQuotas\":{\"importedModels\":{\"appliedValue\":1},\"requestStepMs\":5}}");

        Assert.Equal(1, knobs.ServiceQuotas.ImportedModels.AppliedValue);
        Assert.Equal(3, knobs.ServiceQuotas.ImportedModels.DefaultValue);
        Assert.True(knobs.ServiceQuotas.ImportedModels.Adjustable);
        Assert.Equal(20, knobs.ServiceQuotas.ConcurrentImportJobs.AppliedValue);
        Assert.Equal(5, knobs.ServiceQuotas.RequestStepMs);
        Assert.Null(Knobs.KnobStore.Deserialize("{\"serviceQuotas\":{\"concurrentImportJobs\":{\"appliedValue\":null}}}").ServiceQuotas.ConcurrentImportJobs.AppliedValue);
    }
}

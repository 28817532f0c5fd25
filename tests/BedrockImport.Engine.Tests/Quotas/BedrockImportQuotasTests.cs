using System.Net;
using System.Text;
using System.Text.Json;
using BedrockImport.Engine.Quotas;
using BedrockImport.Engine.Tests.Wire;

namespace BedrockImport.Engine.Tests.Quotas;

/// <summary>BedrockImportQuotas over fake Service Quotas and Bedrock answers: quotas found by name (never by code),
/// the applied value or the default, usage from Bedrock, and increases refused before they are sent.</summary>
public class BedrockImportQuotasTests
{
    private const string Defaults = "{\"Quotas\":[" +
        "{\"QuotaName\":\"Concurrent model customization jobs\",\"QuotaCode\":\"L-X1\",\"Value\":2,\"Adjustable\":true}," +
        "{\"QuotaName\":\"concurrent MODEL import jobs\",\"QuotaCode\":\"L-J0B5\",\"Value\":1,\"Adjustable\":true}," +
        "{\"QuotaName\":\"Imported models per account\",\"QuotaCode\":\"L-M0D3\",\"Value\":3,\"Adjustable\":false}]}";

    private sealed class FakeAws
    {
        public string Applied { get; set; } = "{\"Quotas\":[{\"QuotaName\":\"Imported models per account\",\"QuotaCode\":\"L-M0D3\",\"Value\":10,\"Adjustable\":false}]}";
        public string Models { get; set; } = "{\"modelSummaries\":[{\"modelName\":\"a\"},{\"modelName\":\"b\"}]}";
        public string Jobs { get; set; } = "{\"modelImportJobSummaries\":[{\"jobName\":\"j1\",\"status\":\"InProgress\"}]}";
        public string History { get; set; } = "{\"RequestedQuotas\":[]}";

        public FakeHandler Quotas { get; }
        public FakeHandler Bedrock { get; }

        public FakeAws()
        {
            Quotas = new FakeHandler((request, _) => ServiceQuotasClientTests.Answer(HttpStatusCode.OK, request.Header("X-Amz-Target") switch
            {
                "ServiceQuotasV20190624.ListAWSDefaultServiceQuotas" => Defaults,
                "ServiceQuotasV20190624.ListServiceQuotas" => Applied,
                "ServiceQuotasV20190624.ListRequestedServiceQuotaChangeHistoryByQuota" => History,
                "ServiceQuotasV20190624.RequestServiceQuotaIncrease" => "{\"RequestedQuota\":{\"Id\":\"req-1\",\"Status\":\"PENDING\",\"DesiredValue\":4}}",
                var other => throw new InvalidOperationException("unexpected " + other),
            }));
            Bedrock = new FakeHandler((request, _) => FakeHandler.Json(HttpStatusCode.OK,
                request.Uri.AbsolutePath == "/imported-models" ? Models : Jobs));
        }

        public BedrockImportQuotas Service(out IDisposable clients)
        {
            var quotas = ServiceQuotasClientTests.Client(Quotas);
            var control = Kit.Control(Bedrock);
            clients = new Both(quotas, control);
            return new BedrockImportQuotas(quotas, control, "us-east-1");
        }

        private sealed class Both(IDisposable a, IDisposable b) : IDisposable
        {
            public void Dispose()
            {
                a.Dispose();
                b.Dispose();
            }
        }
    }

    [Fact]
    public async Task Both_quotas_are_found_by_name_ignoring_case_with_the_applied_value_or_else_the_default_and_the_usage()
    {
        var aws = new FakeAws();
        var service = aws.Service(out var clients);
        using (clients)
        {
            var quotas = await service.GetAsync(CancellationToken.None);

            Assert.Equal(new[] { ImportQuotaKind.ImportedModels, ImportQuotaKind.ConcurrentImportJobs }, quotas.Select(q => q.Kind));
            var models = quotas[0];
            Assert.Equal(("L-M0D3", 10.0, 3.0, 10.0, false, 2, 8.0), (models.QuotaCode, models.AppliedValue, models.DefaultValue, models.Value, models.Adjustable, models.Usage, models.Remaining));
            var jobs = quotas[1];
            Assert.Equal("L-J0B5", jobs.QuotaCode);
            Assert.Null(jobs.AppliedValue);
            Assert.Equal(1.0, jobs.Value);
            Assert.Equal(1, jobs.Usage);
            Assert.Equal(0.0, jobs.Remaining);
            Assert.True(jobs.Adjustable);
            Assert.All(quotas, q => Assert.Equal("us-east-1", q.Region));
        }

        var jobList = Assert.Single(aws.Bedrock.Requests, r => r.Uri.AbsolutePath == "/model-import-jobs");
        Assert.Contains("statusEquals=InProgress", jobList.Uri.Query);
    }

    [Fact]
    public async Task An_applied_entry_that_carries_an_ErrorReason_falls_back_to_the_default()
    {
        var aws = new FakeAws
        {
            Applied = "{\"Quotas\":[{\"QuotaName\":\"Imported models per account\",\"QuotaCode\":\"L-M0D3\",\"ErrorReason\":{\"ErrorCode\":\"DEPENDENCY_ACCESS_DENIED_ERROR\"}}]}",
        };
        var service = aws.Service(out var clients);
        using (clients)
        {
            var models = await service.GetAsync(ImportQuotaKind.ImportedModels, CancellationToken.None);
            Assert.Null(models.AppliedValue);
            Assert.Equal(3.0, models.Value);
        }
    }

    [Fact]
    public async Task A_region_without_the_quotas_is_ImportQuotaNotFound()
    {
        var aws = new FakeAws { Applied = "{\"Quotas\":[]}" };
        var service = new BedrockImportQuotas(ServiceQuotasClientTests.Client(new FakeHandler((_, _) =>
            ServiceQuotasClientTests.Answer(HttpStatusCode.OK, "{\"Quotas\":[{\"QuotaName\":\"Custom models per account\",\"QuotaCode\":\"L-C\",\"Value\":100}]}"))),
            Kit.Control(aws.Bedrock), "ap-south-2");

        var error = await Assert.ThrowsAsync<ImportQuotaNotFoundException>(() => service.GetAsync(CancellationToken.None));
        Assert.Equal("ImportQuotaNotFound", error.ErrorId);
        Assert.Contains("ap-south-2", error.Message);
    }

    [Fact]
    public async Task A_quota_that_is_not_adjustable_is_refused_before_anything_is_sent()
    {
        var aws = new FakeAws();
        var service = aws.Service(out var clients);
        using (clients)
        {
            var error = await Assert.ThrowsAsync<ImportQuotaIncreaseException>(
                () => service.RequestIncreaseAsync(ImportQuotaKind.ImportedModels, 50, CancellationToken.None));
            Assert.Equal("QuotaNotAdjustable", error.ErrorId);
            Assert.Contains("not adjustable", error.Message);
        }

        Assert.DoesNotContain(aws.Quotas.Requests, r => r.Header("X-Amz-Target").EndsWith(".RequestServiceQuotaIncrease"));
    }

    [Fact]
    public async Task A_desired_value_not_above_the_value_in_force_is_refused_and_a_higher_one_is_sent_with_the_found_code()
    {
        var aws = new FakeAws();
        var service = aws.Service(out var clients);
        using (clients)
        {
            var low = await Assert.ThrowsAsync<ImportQuotaIncreaseException>(
                () => service.RequestIncreaseAsync(ImportQuotaKind.ConcurrentImportJobs, 1, CancellationToken.None));
            Assert.Equal("DesiredValueNotAboveQuota", low.ErrorId);
            Assert.DoesNotContain(aws.Quotas.Requests, r => r.Header("X-Amz-Target").EndsWith(".RequestServiceQuotaIncrease"));

            var request = await service.RequestIncreaseAsync(ImportQuotaKind.ConcurrentImportJobs, 4, CancellationToken.None);
            Assert.Equal(("req-1", "PENDING", ImportQuotaKind.ConcurrentImportJobs, "L-J0B5"), (request.Id, request.Status, request.Kind, request.QuotaCode));
        }

        var sent = Assert.Single(aws.Quotas.Requests, r => r.Header("X-Amz-Target").EndsWith(".RequestServiceQuotaIncrease"));
        Assert.Equal("{\"ServiceCode\":\"bedrock\",\"QuotaCode\":\"L-J0B5\",\"DesiredValue\":4}", Encoding.UTF8.GetString(sent.Body));
    }

    [Fact]
    public async Task The_history_lists_both_quotas_requests_newest_first()
    {
        var aws = new FakeAws();
        var service = new BedrockImportQuotas(ServiceQuotasClientTests.Client(new FakeHandler((request, _) =>
        {
            var target = request.Header("X-Amz-Target");
            if (!target.EndsWith("ByQuota"))
                return ServiceQuotasClientTests.Answer(HttpStatusCode.OK, Defaults);
            using var body = JsonDocument.Parse(request.Body);
            return ServiceQuotasClientTests.Answer(HttpStatusCode.OK, body.RootElement.GetProperty("QuotaCode").GetString() == "L-M0D3"
                ? "{\"RequestedQuotas\":[{\"Id\":\"old\",\"Status\":\"DENIED\",\"Created\":1700000000}]}"
                : "{\"RequestedQuotas\":[{\"Id\":\"new\",\"Status\":\"CASE_OPENED\",\"CaseId\":\"c-1\",\"Created\":1760000000}]}");
        })), Kit.Control(aws.Bedrock), "us-east-1");

        var history = await service.GetHistoryAsync(CancellationToken.None);

        Assert.Equal(new[] { ("new", ImportQuotaKind.ConcurrentImportJobs, "c-1"), ("old", ImportQuotaKind.ImportedModels, (string)null) },
            history.Select(h => (h.Id, h.Kind, h.CaseId)));
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Errors;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Wire;

/// <summary>The JSON 1.1 protocol base as a new service client would use it: one catalogue record plus one client class.</summary>
public class Json11ClientTests
{
    private static readonly AwsService Quotas = new("Service Quotas", "servicequotas", "servicequotas", "Service Quotas",
        AwsProtocol.Json11, "2019-06-24", targetPrefix: "ServiceQuotasV20190624");

    public sealed class QuotaRequest
    {
        public string ServiceCode { get; set; }
        public string QuotaCode { get; set; }
        public string NextToken { get; set; }
    }

    public sealed class Quota
    {
        public string QuotaName { get; set; }
        public double? Value { get; set; }
    }

    public sealed class QuotaAnswer
    {
        public Quota Quota { get; set; }
    }

    public sealed class QuotaPage
    {
        public List<Quota> Quotas { get; set; }
        public string NextToken { get; set; }
    }

    private sealed class SampleQuotasClient : Json11Client
    {
        public SampleQuotasClient(AwsSession session, RetryPolicy retry, FakeHandler handler) : base(session, Quotas, retry, NullEngineLog.Instance, handler)
        {
        }

        public Task<QuotaAnswer> GetServiceQuotaAsync(string service, string quota, CancellationToken cancellationToken)
            => SendAsync<QuotaAnswer>("GetServiceQuota", new QuotaRequest { ServiceCode = service, QuotaCode = quota }, cancellationToken);

        public Task<IReadOnlyList<Quota>> ListServiceQuotasAsync(string service, CancellationToken cancellationToken)
            => ListAllAsync<QuotaPage, Quota>("ListServiceQuotas", token => new QuotaRequest { ServiceCode = service, NextToken = token },
                page => page.Quotas, page => page.NextToken, cancellationToken);
    }

    private static SampleQuotasClient Client(FakeHandler handler)
        => new(Kit.Session(), Kit.Policy(Kit.FastOptions(), new InstantTimeProvider()), handler);

    private static HttpResponseMessage Answer(HttpStatusCode status, string json)
    {
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)) };
        response.Content.Headers.TryAddWithoutValidation("Content-Type", "application/x-amz-json-1.1");
        response.Headers.TryAddWithoutValidation("x-amzn-RequestId", "quota-req");
        return response;
    }

    [Fact]
    public async Task An_operation_is_a_POST_to_the_root_named_by_X_Amz_Target_with_PascalCase_members()
    {
        var handler = FakeHandler.Sequence(() => Answer(HttpStatusCode.OK, "{\"Quota\":{\"QuotaName\":\"Imported models per account\",\"Value\":3.0}}"));
        using var client = Client(handler);

        var answer = await client.GetServiceQuotaAsync("bedrock", "L-1234", default);

        Assert.Equal("Imported models per account", answer.Quota.QuotaName);
        Assert.Equal(3.0, answer.Quota.Value);
        var sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal("/", sent.Uri.AbsolutePath);
        Assert.Equal("ServiceQuotasV20190624.GetServiceQuota", sent.Header("X-Amz-Target"));
        Assert.Equal("application/x-amz-json-1.1", sent.Header("Content-Type"));
        using var body = JsonDocument.Parse(sent.Body);
        Assert.Equal("bedrock", body.RootElement.GetProperty("ServiceCode").GetString());
        Assert.Equal("L-1234", body.RootElement.GetProperty("QuotaCode").GetString());
        Assert.False(body.RootElement.TryGetProperty("NextToken", out _));
        Assert.Contains("/servicequotas/aws4_request", sent.Header("Authorization"));
    }

    [Fact]
    public async Task An_error_is_named_by_its___type_and_takes_its_kind_from_the_catalogue()
    {
        var handler = FakeHandler.Sequence(() => Answer(HttpStatusCode.BadRequest,
            "{\"__type\":\"com.amazonaws.servicequotas#NoSuchResourceException\",\"Message\":\"The quota L-9 does not exist.\"}"));
        using var client = Client(handler);

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => client.GetServiceQuotaAsync("bedrock", "L-9", default));

        Assert.Equal("NoSuchResourceException", error.ErrorCode);
        Assert.Equal(ErrorKind.NotFound, error.Kind);
        Assert.Equal("The quota L-9 does not exist.", error.Message);
        Assert.Equal("quota-req", error.RequestId);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task A_ServiceException_is_retried_like_any_transient_failure()
    {
        var handler = FakeHandler.Sequence(
            () => Answer(HttpStatusCode.InternalServerError, "{\"__type\":\"ServiceException\",\"Message\":\"Something went wrong.\"}"),
            () => Answer(HttpStatusCode.OK, "{\"Quota\":{\"QuotaName\":\"q\",\"Value\":1}}"));
        using var client = Client(handler);

        var answer = await client.GetServiceQuotaAsync("bedrock", "L-1", default);

        Assert.Equal("q", answer.Quota.QuotaName);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task Listing_follows_NextToken_in_the_body_until_there_is_none()
    {
        var handler = new FakeHandler((request, index) =>
        {
            using var body = JsonDocument.Parse(request.Body);
            var token = body.RootElement.TryGetProperty("NextToken", out var value) ? value.GetString() : null;
            return token switch
            {
                null => Answer(HttpStatusCode.OK, "{\"Quotas\":[{\"QuotaName\":\"a\"}],\"NextToken\":\"t1\"}"),
                "t1" => Answer(HttpStatusCode.OK, "{\"Quotas\":[{\"QuotaName\":\"b\"},{\"QuotaName\":\"c\"}],\"NextToken\":\"t2\"}"),
                _ => Answer(HttpStatusCode.OK, "{\"Quotas\":[{\"QuotaName\":\"d\"}]}"),
            };
        });
        using var client = Client(handler);

        var all = await client.ListServiceQuotasAsync("bedrock", default);

        Assert.Equal(new[] { "a", "b", "c", "d" }, all.Select(q => q.QuotaName));
        Assert.Equal(3, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal("ServiceQuotasV20190624.ListServiceQuotas", r.Header("X-Amz-Target")));
    }

    [Fact]
    public async Task Listing_stops_with_an_error_when_the_service_repeats_a_token()
    {
        var handler = FakeHandler.Sequence(() => Answer(HttpStatusCode.OK, "{\"Quotas\":[],\"NextToken\":\"same\"}"));
        using var client = Client(handler);

        var error = await Assert.ThrowsAsync<UnexpectedResponseException>(() => client.ListServiceQuotasAsync("bedrock", default));

        Assert.Contains("same nextToken twice", error.Message);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public void A_JSON_1_1_record_needs_its_target_prefix()
        => Assert.Throws<ArgumentException>(() => new AwsService("X", "x", "x", "X", AwsProtocol.Json11, "2020-01-01"));

    [Fact]
    public void A_client_refuses_a_service_of_another_protocol()
        => Assert.Throws<ArgumentException>(() => new SampleQuotasClientOfWrongProtocol());

    private sealed class SampleQuotasClientOfWrongProtocol : Json11Client
    {
        public SampleQuotasClientOfWrongProtocol()
            : base(Kit.Session(), AwsService.Bedrock, Kit.Policy(Kit.FastOptions(), new InstantTimeProvider()), null, null)
        {
        }
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Errors;
using BedrockImport.Engine.Quotas;
using BedrockImport.Engine.Tests.Wire;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Quotas;

/// <summary>ServiceQuotasClient on the wire, against the botocore model of service-quotas 2019-06-24: the request of each
/// operation (target, content type, members as the model names them, SigV4 for servicequotas), paging, error mapping.</summary>
public class ServiceQuotasClientTests
{
    internal static HttpResponseMessage Answer(HttpStatusCode status, string json)
    {
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)) };
        response.Content.Headers.TryAddWithoutValidation("Content-Type", "application/x-amz-json-1.1");
        response.Headers.TryAddWithoutValidation("x-amzn-RequestId", "sq-req");
        return response;
    }

    internal static ServiceQuotasClient Client(FakeHandler handler, AwsSession session = null)
        => new(session ?? Kit.Session(), Kit.Policy(Kit.FastOptions(), new InstantTimeProvider()), NullEngineLog.Instance, handler);

    private static string BodyOf(CapturedRequest request) => Encoding.UTF8.GetString(request.Body);

    [Fact]
    public void The_catalogue_record_is_the_botocore_metadata_and_takes_no_bearer_token()
    {
        var service = AwsService.ServiceQuotas;
        Assert.Equal("Service Quotas", service.ServiceId);
        Assert.Equal("servicequotas", service.EndpointPrefix);
        Assert.Equal("servicequotas", service.SigningName);
        Assert.Equal(AwsProtocol.Json11, service.Protocol);
        Assert.Equal("2019-06-24", service.ApiVersion);
        Assert.Equal("ServiceQuotasV20190624", service.TargetPrefix);
        Assert.Equal("AWS_ENDPOINT_URL_SERVICE_QUOTAS", service.EndpointVariable);
        Assert.False(service.AcceptsBearerToken);
        Assert.Equal(new Uri("https://servicequotas.eu-west-1.amazonaws.com/"), service.RegionalEndpoint("eu-west-1"));
    }

    public static TheoryData<string, Func<ServiceQuotasClient, Task>, string> Operations => new()
    {
        { "ListServiceQuotas", c => c.ListServiceQuotasAsync("bedrock", default), "{\"ServiceCode\":\"bedrock\"}" },
        { "ListAWSDefaultServiceQuotas", c => c.ListAWSDefaultServiceQuotasAsync("bedrock", default), "{\"ServiceCode\":\"bedrock\"}" },
        { "GetServiceQuota", c => c.GetServiceQuotaAsync("bedrock", "L-1", default), "{\"ServiceCode\":\"bedrock\",\"QuotaCode\":\"L-1\"}" },
        { "GetAWSDefaultServiceQuota", c => c.GetAWSDefaultServiceQuotaAsync("bedrock", "L-1", default), "{\"ServiceCode\":\"bedrock\",\"QuotaCode\":\"L-1\"}" },
        {
            "RequestServiceQuotaIncrease",
            c => c.RequestServiceQuotaIncreaseAsync(new RequestServiceQuotaIncreaseRequest { ServiceCode = "bedrock", QuotaCode = "L-1", DesiredValue = 10 }, default),
            "{\"ServiceCode\":\"bedrock\",\"QuotaCode\":\"L-1\",\"DesiredValue\":10}"
        },
        {
            "ListRequestedServiceQuotaChangeHistoryByQuota",
            c => c.ListRequestedServiceQuotaChangeHistoryByQuotaAsync("bedrock", "L-1", "PENDING", default),
            "{\"ServiceCode\":\"bedrock\",\"QuotaCode\":\"L-1\",\"Status\":\"PENDING\"}"
        },
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Each_operation_is_a_signed_POST_to_the_root_with_its_target_and_the_model_s_member_names(string operation, Func<ServiceQuotasClient, Task> call, string body)
    {
        var handler = new FakeHandler((_, _) => Answer(HttpStatusCode.OK,
            "{\"Quota\":{\"QuotaCode\":\"L-1\"},\"RequestedQuota\":{\"Id\":\"r1\",\"Status\":\"PENDING\"},\"Quotas\":[],\"RequestedQuotas\":[]}"));
        using (var client = Client(handler))
        {
            await call(client);
        }

        var sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal("/", sent.Uri.AbsolutePath);
        Assert.Equal("ServiceQuotasV20190624." + operation, sent.Header("X-Amz-Target"));
        Assert.Equal("application/x-amz-json-1.1", sent.Header("Content-Type"));
        Assert.Equal(body, BodyOf(sent));
        var verified = SigV4Verifier.Verify(sent, Kit.SecretKey);
        Assert.True(verified.Valid, verified.CanonicalRequest);
        Assert.EndsWith("/us-east-1/servicequotas/aws4_request", verified.Scope);
        Assert.Contains("x-amz-target", verified.SignedHeaders);
    }

    [Fact]
    public async Task A_bearer_token_in_the_session_is_never_sent_to_Service_Quotas()
    {
        var session = AwsSessionResolver.Resolve(new CredentialRequest
        {
            AccessKey = Kit.AccessKey, SecretKey = Kit.SecretKey, Region = "us-east-1", EndpointUrl = "http://127.0.0.1:1234/",
            BearerToken = "ABSKdG9rZW4tZm9yLXNlcnZpY2UtcXVvdGFz",
        }, new NoEnvironment(), NullEngineLog.Instance);
        var handler = new FakeHandler((_, _) => Answer(HttpStatusCode.OK, "{\"Quotas\":[]}"));
        using (var client = Client(handler, session))
        {
            await client.ListServiceQuotasAsync("bedrock", default);
        }

        var sent = Assert.Single(handler.Requests);
        Assert.StartsWith("AWS4-HMAC-SHA256 ", sent.Header("Authorization"));
        Assert.True(SigV4Verifier.Verify(sent, Kit.SecretKey).Valid);
    }

    [Fact]
    public async Task The_change_history_follows_NextToken_and_reads_epoch_timestamps()
    {
        var handler = new FakeHandler((request, index) =>
        {
            using var body = JsonDocument.Parse(request.Body);
            return body.RootElement.TryGetProperty("NextToken", out var token) && token.GetString() == "abc="
                ? Answer(HttpStatusCode.OK, "{\"RequestedQuotas\":[{\"Id\":\"r2\",\"Status\":\"APPROVED\",\"DesiredValue\":5.0,\"CaseId\":\"case-9\"}]}")
                : Answer(HttpStatusCode.OK, "{\"RequestedQuotas\":[{\"Id\":\"r1\",\"Status\":\"PENDING\",\"Created\":1764748800.5}],\"NextToken\":\"abc=\"}");
        });
        using var client = Client(handler);

        var history = await client.ListRequestedServiceQuotaChangeHistoryByQuotaAsync("bedrock", "L-1", null, default);

        Assert.Equal(new[] { "r1", "r2" }, history.Select(h => h.Id));
        Assert.Equal(new DateTime(2025, 12, 3, 8, 0, 0, 500, DateTimeKind.Utc), history[0].Created);
        Assert.Equal("case-9", history[1].CaseId);
        Assert.Equal(5.0, history[1].DesiredValue);
        Assert.Equal("{\"ServiceCode\":\"bedrock\",\"QuotaCode\":\"L-1\",\"NextToken\":\"abc=\"}", BodyOf(handler.Requests[1]));
    }

    public static TheoryData<string, ErrorKind, int> Errors => new()
    {
        { "NoSuchResourceException", ErrorKind.NotFound, 1 },
        { "IllegalArgumentException", ErrorKind.Invalid, 1 },
        { "QuotaExceededException", ErrorKind.Quota, 1 },
        { "ResourceAlreadyExistsException", ErrorKind.Conflict, 1 },
        { "AccessDeniedException", ErrorKind.Denied, 1 },
        { "DependencyAccessDeniedException", ErrorKind.Denied, 1 },
        { "InvalidResourceStateException", ErrorKind.Conflict, 1 },
        { "TooManyRequestsException", ErrorKind.Throttled, 5 },
        { "ServiceException", ErrorKind.Unreachable, 5 },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task A_Service_Quotas_error_takes_its_kind_and_retry_class_from_the_one_catalogue(string code, ErrorKind kind, int attempts)
    {
        var handler = new FakeHandler((_, _) => Answer(HttpStatusCode.BadRequest,
            "{\"__type\":\"com.amazonaws.servicequotas#" + code + "\",\"Message\":\"said " + code + "\"}"));
        using var client = Client(handler);

        var error = await Assert.ThrowsAnyAsync<AwsServiceException>(() => client.RequestServiceQuotaIncreaseAsync(
            new RequestServiceQuotaIncreaseRequest { ServiceCode = "bedrock", QuotaCode = "L-1", DesiredValue = 2 }, default));

        Assert.Equal(code, error.ErrorCode);
        Assert.Equal(kind, error.Kind);
        Assert.Equal("said " + code, error.Message);
        Assert.Equal("sq-req", error.RequestId);
        Assert.Equal(attempts, handler.Requests.Count);
    }

    [Fact]
    public async Task An_increase_answer_without_RequestedQuota_is_an_unexpected_response()
    {
        var handler = new FakeHandler((_, _) => Answer(HttpStatusCode.OK, "{}"));
        using var client = Client(handler);

        await Assert.ThrowsAsync<UnexpectedResponseException>(() => client.RequestServiceQuotaIncreaseAsync(
            new RequestServiceQuotaIncreaseRequest { ServiceCode = "bedrock", QuotaCode = "L-1", DesiredValue = 2 }, default));
    }

    private sealed class NoEnvironment : IEnvironment
    {
        public string Get(string name) => null;
    }
}

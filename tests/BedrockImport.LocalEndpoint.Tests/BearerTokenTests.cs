using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BedrockImport.LocalEndpoint.Tests;

/// <summary>Bedrock API keys: the endpoint issues one at start and accepts it as "Authorization: Bearer" on the Bedrock and
/// Bedrock Runtime routes only.</summary>
public sealed class BearerTokenTests
{
    [Fact]
    public async Task IssuedKey_IsShapedLikeALongTermBedrockApiKey_AndFreshForEveryStart()
    {
        await using var first = await TestEndpoint.StartAsync();
        await using var second = await TestEndpoint.StartAsync();

        var key = first.Server.BearerToken;
        Assert.StartsWith("ABSK", key, StringComparison.Ordinal);
        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(key["ABSK".Length..]));
        Assert.Matches(@"^BedrockAPIKey-[a-z0-9]{4}-at-\d{12}:[A-Za-z0-9+/]+=*$", decoded);
        Assert.NotEqual(key, second.Server.BearerToken);
    }

    [Fact]
    public async Task TheIssuedKey_AuthorizesControlPlaneAndRuntimeRoutes()
    {
        await using var endpoint = await TestEndpoint.StartAsync();

        using var list = await SendAsync(endpoint, HttpMethod.Get, "/imported-models", endpoint.Server.BearerToken);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var listed = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Array, listed.RootElement.GetProperty("modelSummaries").ValueKind);

        // Past authentication, the runtime route answers for the model: it does not exist.
        using var invoke = await SendAsync(endpoint, HttpMethod.Post, "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aimported-model%2Fabcdefghijkl/invoke", endpoint.Server.BearerToken, "{}");
        Assert.Equal(HttpStatusCode.NotFound, invoke.StatusCode);
        Assert.Equal("ResourceNotFoundException", invoke.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.Equal(0L, endpoint.Server.Context.Stats.RefusedByAuth);
    }

    [Fact]
    public async Task AKeyGivenInTheOptions_IsTheOneAccepted()
    {
        const string configured = "ABSKQmVkcm9ja0FQSUtleS10ZXN0LWF0LTEyMzQ1Njc4OTAxMjpjb25maWd1cmVk";
        await using var endpoint = await TestEndpoint.StartAsync(o => o.BearerToken = configured);

        Assert.Equal(configured, endpoint.Server.BearerToken);
        using var list = await SendAsync(endpoint, HttpMethod.Get, "/imported-models", configured);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Theory]
    [InlineData("ABSKQmVkcm9ja0FQSUtleS1hYmNkLWF0LTEyMzQ1Njc4OTAxMjpub3RvdXJz", "Authentication failed: Please make sure your API Key is valid.")]
    [InlineData("bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLw==", "Authentication failed: Please make sure your API Key is valid.")]
    [InlineData("sk-not-a-bedrock-key", "Invalid API Key format: Must start with pre-defined prefix")]
    public async Task AWrongKey_GetsBedrocks403(string wrongKey, string expectedMessage)
    {
        await using var endpoint = await TestEndpoint.StartAsync();

        using var response = await SendAsync(endpoint, HttpMethod.Get, "/imported-models", wrongKey);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("AccessDeniedException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        Assert.Equal(expectedMessage, document.RootElement.GetProperty("Message").GetString());
        Assert.DoesNotContain(wrongKey, body, StringComparison.Ordinal);
        Assert.Equal(1L, endpoint.Server.Context.Stats.RefusedByAuth);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/bkt/k")]
    [InlineData("/no-such-bucket/k")]
    public async Task S3_RefusesABearerTokenAsAnUnsupportedAuthorizationType(string path)
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");
        await endpoint.Server.Context.S3.PutObjectAsync("bkt", "k", new MemoryStream(new byte[] { 1 }));

        using var response = await SendAsync(endpoint, HttpMethod.Get, path, endpoint.Server.BearerToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("<Code>InvalidArgument</Code>", body);
        Assert.Contains("<Message>Unsupported Authorization Type</Message>", body);
        Assert.Contains("<ArgumentName>Authorization</ArgumentName>", body);
        Assert.DoesNotContain(endpoint.Server.BearerToken, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheKey_IsNotInTheServersToString()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        Assert.DoesNotContain(endpoint.Server.BearerToken, endpoint.Server.ToString(), StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> SendAsync(TestEndpoint endpoint, HttpMethod method, string path, string token, string json = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json != null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return endpoint.Http.SendAsync(request);
    }
}

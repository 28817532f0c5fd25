using System.Net;
using System.Text;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using BedrockImport.Engine.EventStream;
using BedrockImport.LocalEndpoint.Tests.Bedrock;

namespace BedrockImport.LocalEndpoint.Tests;

/// <summary>The cleartext HTTP/2 (h2c prior knowledge) listener serves the same handlers as the HTTP/1.1 one.</summary>
public sealed class Http2Tests
{
    [Fact]
    public async Task Http2Url_IsASecondLoopbackPortThatSpeaksHttp2WithPriorKnowledge()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        var server = endpoint.Server;
        Assert.Equal("127.0.0.1", server.Http2Url.Host);
        Assert.Equal(Uri.UriSchemeHttp, server.Http2Url.Scheme);
        Assert.NotEqual(server.BaseUrl.Port, server.Http2Url.Port);

        using var response = await endpoint.Http2.GetAsync("/_admin/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);

        using var http1 = await endpoint.Http.GetAsync("/_admin/health");
        Assert.Equal(HttpVersion.Version11, http1.Version);
    }

    [Fact]
    public async Task SignedS3Requests_OverHttp2_AreVerifiedAndServed()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        var body = TestEndpoint.RandomBytes(70_000, seed: 3);

        using var bucket = await endpoint.SendSignedAsync(HttpMethod.Put, "/bkt", http2: true);
        Assert.Equal(HttpStatusCode.OK, bucket.StatusCode);
        using var put = await endpoint.SendSignedAsync(HttpMethod.Put, "/bkt/dir/obj.bin", body, http2: true);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(HttpVersion.Version20, put.Version);
        using var get = await endpoint.SendSignedAsync(HttpMethod.Get, "/bkt/dir/obj.bin", http2: true);
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());

        using var wrongSecret = await endpoint.SendSignedAsync(HttpMethod.Get, "/bkt/dir/obj.bin", secretKey: "wrong", http2: true);
        Assert.Equal(HttpStatusCode.Forbidden, wrongSecret.StatusCode);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", await wrongSecret.Content.ReadAsStringAsync());

        using var stats = JsonDocument.Parse(await endpoint.Http2.GetStringAsync("/_admin/stats"));
        Assert.Equal(1, stats.RootElement.GetProperty("operations").GetProperty("s3:PutObject").GetProperty("calls").GetInt32());
    }

    [Fact]
    public async Task ASignatureOverTheAuthorityPseudoHeader_IsVerified()
    {
        // The JavaScript SDK's HTTP/2 handler signs ":authority" instead of "host".
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");
        var uri = new Uri(endpoint.Server.Http2Url, "/bkt");

        async Task<HttpResponseMessage> SendAsync(string authority)
        {
            var signing = new AWSSigningRequest { HttpMethod = HttpMethod.Get, RequestUri = uri };
            signing.Headers[":authority"] = authority;
            var signed = AWSSigV4Signer.Sign(signing, new AWSSigV4Parameters
            {
                Credentials = new BasicAWSCredentials(endpoint.Server.AccessKeyId, endpoint.Server.SecretAccessKey),
                Region = RegionEndpoint.GetBySystemName(endpoint.Server.Region),
                Service = "s3",
            });
            var message = new HttpRequestMessage(HttpMethod.Get, uri) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            foreach (var (name, value) in signed.Headers)
                if (name != ":authority")
                    message.Headers.TryAddWithoutValidation(name, value);
            Assert.Contains("SignedHeaders=:authority;", message.Headers.GetValues("Authorization").Single());
            return await endpoint.Http2.SendAsync(message);
        }

        using var matching = await SendAsync(uri.Authority);
        Assert.Equal(HttpStatusCode.OK, matching.StatusCode);
        using var other = await SendAsync("example.com:1234");
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", await other.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task InvokeModel_AndItsResponseStream_WorkOverHttp2()
    {
        await using var bedrock = await BedrockTestEndpoint.StartAsync();
        var model = await bedrock.ImportModelAsync();
        var path = "/model/" + Uri.EscapeDataString(model);
        var request = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { prompt = "Tell me about imported models", max_gen_len = 200 }));
        var headers = new Dictionary<string, string> { ["Content-Type"] = "application/json" };

        using var invoke = await bedrock.Endpoint.SendSignedAsync(HttpMethod.Post, path + "/invoke", request, headers, service: "bedrock", http2: true);
        var json = await BedrockTestEndpoint.JsonAsync(invoke, HttpStatusCode.OK);
        Assert.Equal(HttpVersion.Version20, invoke.Version);
        Assert.False(string.IsNullOrEmpty(json.GetProperty("generation").GetString()));

        using var stream = await bedrock.Endpoint.SendSignedAsync(HttpMethod.Post, path + "/invoke-with-response-stream", request, headers,
            service: "bedrock", http2: true);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal(HttpVersion.Version20, stream.Version);
        var chunks = new List<JsonElement>();
        await foreach (var message in EventStreamDecoder.ReadAllAsync(await stream.Content.ReadAsStreamAsync()))
            chunks.Add(BedrockTestEndpoint.ChunkJson(message));
        Assert.Equal(json.GetProperty("generation").GetString(), string.Concat(chunks.Select(c => c.GetProperty("generation").GetString())));
        Assert.Equal("stop", chunks[^1].GetProperty("stop_reason").GetString());
    }
}

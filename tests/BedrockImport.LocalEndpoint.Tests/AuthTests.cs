using System.Net;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.LocalEndpoint.Hosting;

namespace BedrockImport.LocalEndpoint.Tests;

public sealed class AuthTests
{
    [Fact]
    public async Task WrongSecret_IsRefusedWithSignatureDoesNotMatch()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3(c => c.MaxErrorRetry = 0, secretKey: "not-the-secret");
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutBucketAsync("bkt"));
        Assert.Equal("SignatureDoesNotMatch", e.ErrorCode);
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.False(endpoint.Server.Context.S3.BucketExists("bkt"));
    }

    [Fact]
    public async Task UnknownAccessKey_IsRefusedWithInvalidAccessKeyId()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3(c => c.MaxErrorRetry = 0, accessKey: "AKIAUNKNOWNKEY000000");
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.ListBucketsAsync());
        Assert.Equal("InvalidAccessKeyId", e.ErrorCode);
    }

    [Fact]
    public async Task ConfiguredKeyPairs_ReplaceTheDefaultPair()
    {
        await using var endpoint = await TestEndpoint.StartAsync(o => o.Credentials = new List<AccessKeyPair>
        {
            new() { AccessKeyId = "AKIDLOCALTEST", SecretAccessKey = "local/secret" },
        });
        Assert.Equal("AKIDLOCALTEST", endpoint.Server.AccessKeyId);
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        using var withDefault = endpoint.S3(c => c.MaxErrorRetry = 0, accessKey: LocalEndpointOptions.DefaultAccessKeyId, secretKey: LocalEndpointOptions.DefaultSecretAccessKey);
        Assert.Equal("InvalidAccessKeyId", (await Assert.ThrowsAsync<AmazonS3Exception>(() => withDefault.ListBucketsAsync())).ErrorCode);
    }

    [Fact]
    public async Task SkewedClock_IsRefusedWithRequestTimeTooSkewed()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var response = await endpoint.SendSignedAsync(HttpMethod.Get, "/", signedAt: DateTime.UtcNow.AddMinutes(-20));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("<Code>RequestTimeTooSkewed</Code>", await response.Content.ReadAsStringAsync());

        using var recent = await endpoint.SendSignedAsync(HttpMethod.Get, "/", signedAt: DateTime.UtcNow.AddMinutes(-10));
        Assert.Equal(HttpStatusCode.OK, recent.StatusCode);
    }

    [Fact]
    public async Task JsonService_AuthFailuresUseJsonErrorsWithErrorTypeHeader()
    {
        await using var endpoint = await TestEndpoint.StartAsync(o => o.ConfigureServices = (registry, _) => registry.Add(new EchoJsonService()));

        using var ok = await endpoint.SendSignedAsync(HttpMethod.Post, "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aimported-model%2Fabc/invoke",
            Encoding.UTF8.GetBytes("{}"), new Dictionary<string, string> { ["Content-Type"] = "application/json" }, service: "testsvc");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        using var wrong = await endpoint.SendSignedAsync(HttpMethod.Get, "/imported-models", service: "testsvc", secretKey: "wrong");
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal("InvalidSignatureException", wrong.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.Contains("\"message\"", await wrong.Content.ReadAsStringAsync());

        using var expired = await endpoint.SendSignedAsync(HttpMethod.Get, "/imported-models", service: "testsvc", signedAt: DateTime.UtcNow.AddHours(-1));
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Equal("InvalidSignatureException", expired.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.Contains("Signature expired", await expired.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UnsignedRequests_ToAwsPathsAreRefusedAndUnknownPathsGet404()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");
        await endpoint.Server.Context.S3.PutObjectAsync("bkt", "k", new MemoryStream(new byte[] { 1 }));

        using var bedrock = await endpoint.Http.GetAsync("/imported-models");
        Assert.Equal(HttpStatusCode.Forbidden, bedrock.StatusCode);
        Assert.Equal("MissingAuthenticationTokenException", bedrock.Headers.GetValues("x-amzn-ErrorType").Single());

        using var s3 = await endpoint.Http.GetAsync("/bkt/k");
        Assert.Equal(HttpStatusCode.Forbidden, s3.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await s3.Content.ReadAsStringAsync());

        using var unknown = await endpoint.Http.GetAsync("/nothing-here/at-all");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("/_admin/", await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PresignedUrl_IsAcceptedAndTamperedOneRefused()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bkt", Key = "a b/c.txt", ContentBody = "presigned" });
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = "bkt", Key = "a b/c.txt", Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP });

        Assert.Equal("presigned", await endpoint.Http.GetStringAsync(url));
        using var tampered = await endpoint.Http.GetAsync(url.Replace("c.txt", "d.txt"));
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
    }

    [Fact]
    public async Task PresignedUrl_PastItsExpiry_IsRefusedWithAccessDenied()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");
        await endpoint.Server.Context.S3.PutObjectAsync("bkt", "k", new MemoryStream(new byte[] { 1 }));
        var presigned = Amazon.Runtime.Signing.AWSSigV4Signer.Presign(
            new Amazon.Runtime.Signing.AWSSigningRequest { HttpMethod = HttpMethod.Get, RequestUri = new Uri(endpoint.Server.BaseUrl, "/bkt/k") },
            new Amazon.Runtime.Signing.AWSSigV4Parameters
            {
                Credentials = new Amazon.Runtime.BasicAWSCredentials(endpoint.Server.AccessKeyId, endpoint.Server.SecretAccessKey),
                Region = Amazon.RegionEndpoint.USEast1, Service = "s3", SignedAt = DateTime.UtcNow.AddMinutes(-10),
            },
            TimeSpan.FromMinutes(1));

        using var response = await endpoint.Http.GetAsync(presigned.Uri);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("<Code>AccessDenied</Code>", text);
        Assert.Contains("Request has expired", text);
    }

    [Fact]
    public async Task StreamingSignedPayload_WithWrongChunkSignature_IsRefused()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");
        var body = Encoding.ASCII.GetBytes($"5;chunk-signature={new string('0', 64)}\r\nhello\r\n0;chunk-signature={new string('0', 64)}\r\n\r\n");
        using var response = await endpoint.SendSignedAsync(HttpMethod.Put, "/bkt/k", body, new Dictionary<string, string>
        {
            ["x-amz-content-sha256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            ["Content-Encoding"] = "aws-chunked",
        }, unsignedHeaders: new Dictionary<string, string> { ["x-amz-decoded-content-length"] = "5" });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", text);
        Assert.Contains("chunk signature", text);
        Assert.Null(endpoint.Server.Context.S3.Find("bkt", "k"));
    }

    [Theory]
    [InlineData("x-amz-checksum-crc32", "NhCmhg==", true)]
    [InlineData("x-amz-checksum-crc32", "AAAAAA==", false)]
    [InlineData("x-amz-checksum-crc32c", "mnG7TA==", true)]
    [InlineData("x-amz-checksum-sha256", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=", true)]
    public async Task StreamingUnsignedPayloadWithTrailer_ValidatesTheTrailingChecksum(string trailer, string value, bool valid)
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");
        var body = Encoding.ASCII.GetBytes($"5\r\nhello\r\n0\r\n{trailer}:{value}\r\n\r\n");
        using var response = await endpoint.SendSignedAsync(HttpMethod.Put, "/bkt/k", body, new Dictionary<string, string>
        {
            ["x-amz-content-sha256"] = "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            ["x-amz-trailer"] = trailer,
            ["Content-Encoding"] = "aws-chunked",
        }, unsignedHeaders: new Dictionary<string, string> { ["x-amz-decoded-content-length"] = "5" });
        var text = await response.Content.ReadAsStringAsync();
        if (valid)
        {
            Assert.True(HttpStatusCode.OK == response.StatusCode, text);
            await using var stored = endpoint.Server.Context.S3.OpenRead("bkt", "k");
            Assert.Equal("hello", await new StreamReader(stored).ReadToEndAsync());
        }
        else
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("<Code>BadDigest</Code>", text);
        }
    }

    [Fact]
    public async Task S3_SignedForAnotherRegion_IsAuthorizationHeaderMalformedNamingTheServedRegion()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var response = await endpoint.SendSignedAsync(HttpMethod.Put, "/bkt", region: "us-west-2");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root;
        Assert.Equal("AuthorizationHeaderMalformed", error.Element("Code").Value);
        Assert.Equal("The authorization header is malformed; the region 'us-west-2' is wrong; expecting 'us-east-1'", error.Element("Message").Value);
        Assert.Equal("us-east-1", error.Element("Region").Value);
        Assert.False(endpoint.Server.Context.S3.BucketExists("bkt"));
    }

    [Fact]
    public async Task ServedRegion_ComesFromTheOptions()
    {
        await using var endpoint = await TestEndpoint.StartAsync(o => o.Region = "eu-west-3");

        using var served = await endpoint.SendSignedAsync(HttpMethod.Put, "/bkt");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);

        using var usEast = await endpoint.SendSignedAsync(HttpMethod.Get, "/", region: "us-east-1");
        Assert.Equal(HttpStatusCode.BadRequest, usEast.StatusCode);
        var error = XDocument.Parse(await usEast.Content.ReadAsStringAsync()).Root;
        Assert.Equal("AuthorizationHeaderMalformed", error.Element("Code").Value);
        Assert.Contains("the region 'us-east-1' is wrong; expecting 'eu-west-3'", error.Element("Message").Value);
        Assert.Equal("eu-west-3", error.Element("Region").Value);
    }

    [Fact]
    public async Task S3_PresignedForAnotherRegion_IsAuthorizationQueryParametersError()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");
        await endpoint.Server.Context.S3.PutObjectAsync("bkt", "k", new MemoryStream(new byte[] { 1 }));
        var presigned = Amazon.Runtime.Signing.AWSSigV4Signer.Presign(
            new Amazon.Runtime.Signing.AWSSigningRequest { HttpMethod = HttpMethod.Get, RequestUri = new Uri(endpoint.Server.BaseUrl, "/bkt/k") },
            new Amazon.Runtime.Signing.AWSSigV4Parameters
            {
                Credentials = new Amazon.Runtime.BasicAWSCredentials(endpoint.Server.AccessKeyId, endpoint.Server.SecretAccessKey),
                Region = Amazon.RegionEndpoint.USWest2, Service = "s3",
            },
            TimeSpan.FromMinutes(5));

        using var response = await endpoint.Http.GetAsync(presigned.Uri);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root;
        Assert.Equal("AuthorizationQueryParametersError", error.Element("Code").Value);
        Assert.Contains("the region 'us-west-2' is wrong; expecting 'us-east-1'", error.Element("Message").Value);
        Assert.Equal("us-east-1", error.Element("Region").Value);
    }

    [Fact]
    public async Task Bedrock_SignedForAnotherRegion_IsInvalidSignatureExceptionAndReachesNoOperation()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var response = await endpoint.SendSignedAsync(HttpMethod.Get, "/imported-models", service: "bedrock", region: "us-west-2");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("InvalidSignatureException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Credential should be scoped to a valid region, not 'us-west-2'.", body.RootElement.GetProperty("message").GetString());
        Assert.Empty(endpoint.Server.Context.Stats.Snapshot());

        using var served = await endpoint.SendSignedAsync(HttpMethod.Get, "/imported-models", service: "bedrock");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task Stats_CountRequestsRefusedByAuthApartFromOperations()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");
        using (await endpoint.SendSignedAsync(HttpMethod.Get, "/", secretKey: "wrong")) { }
        using (await endpoint.SendSignedAsync(HttpMethod.Get, "/imported-models", service: "bedrock", region: "us-west-2")) { }
        using (await endpoint.Http.GetAsync("/imported-models")) { }
        using (await endpoint.Http.GetAsync("/bkt/k")) { }
        using (await endpoint.Http.GetAsync("/_admin/health")) { }
        using (await endpoint.SendSignedAsync(HttpMethod.Get, "/")) { }

        using var stats = JsonDocument.Parse(await endpoint.Http.GetStringAsync("/_admin/stats"));
        Assert.Equal(4, stats.RootElement.GetProperty("refusedByAuth").GetInt64());
        var operation = Assert.Single(stats.RootElement.GetProperty("operations").EnumerateObject());
        Assert.Equal("s3:ListBuckets", operation.Name);

        using (await endpoint.Http.DeleteAsync("/_admin/stats")) { }
        Assert.Equal(0, endpoint.Server.Context.Stats.RefusedByAuth);
    }

    [Fact]
    public void SigningKey_MatchesAwsDocumentedExample()
    {
        var key = BedrockImport.LocalEndpoint.Auth.SigV4.SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
        Assert.Equal("c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9", Convert.ToHexStringLower(key));
    }
}

using System.Net;
using System.Text;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Wire;

public class ErrorMappingTests
{
    private static async Task<AwsServiceException> FailGet(Func<HttpResponseMessage> response)
    {
        var handler = FakeHandler.Sequence(response);
        using var client = Kit.Control(handler, Kit.FastOptions(maxAttempts: 1));
        return await Assert.ThrowsAnyAsync<AwsServiceException>(() => client.GetImportedModelAsync("m", CancellationToken.None));
    }

    private static HttpResponseMessage With(HttpStatusCode status, string body, params (string, string)[] headers)
        => FakeHandler.Json(status, body, headers);

    [Theory]
    [InlineData("ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.bedrock/", typeof(ResourceNotFoundException), "ResourceNotFoundException")]
    [InlineData("com.amazon.coral.validate#ValidationException", typeof(ValidationException), "ValidationException")]
    [InlineData("aws.bedrock#ConflictException:http://x/y", typeof(ConflictException), "ConflictException")]
    [InlineData("  AccessDeniedException  ", typeof(AccessDeniedException), "AccessDeniedException")]
    [InlineData("SomeNewException:http://x", typeof(AwsServiceException), "SomeNewException")]
    public async Task CodeFromErrorTypeHeader_IsSanitizedAndTyped(string header, Type expectedType, string expectedCode)
    {
        var error = await FailGet(() => With(HttpStatusCode.BadRequest, "{\"message\":\"boom\",\"code\":\"IgnoredBecauseHeaderWins\"}",
            ("x-amzn-ErrorType", header), ("x-amzn-RequestId", "rid-1")));

        Assert.IsType(expectedType, error);
        Assert.Equal(expectedCode, error.ErrorCode);
        Assert.Equal("boom", error.Message);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("rid-1", error.RequestId);
    }

    [Theory]
    [InlineData("{\"code\":\"ServiceQuotaExceededException\",\"message\":\"quota\"}", typeof(ServiceQuotaExceededException), "quota")]
    [InlineData("{\"Code\":\"TooManyTagsException\",\"Message\":\"tags\",\"resourceName\":\"arn:r\"}", typeof(TooManyTagsException), "tags")]
    [InlineData("{\"__type\":\"com.amazonaws.bedrock#AccessDeniedException\",\"Message\":\"denied\"}", typeof(AccessDeniedException), "denied")]
    [InlineData("{\"__type\":\"ValidationException:http://x\",\"message\":\"bad\"}", typeof(ValidationException), "bad")]
    public async Task CodeFromBody_WhenNoHeader(string body, Type expectedType, string expectedMessage)
    {
        var error = await FailGet(() => With(HttpStatusCode.BadRequest, body));

        Assert.IsType(expectedType, error);
        Assert.Equal(expectedMessage, error.Message);
        if (error is TooManyTagsException tags)
        {
            Assert.Equal("arn:r", tags.ResourceName);
        }
    }

    [Fact]
    public async Task HtmlBodyFromProxy_GivesHttpStatusCodeAndDoesNotDumpHtml()
    {
        var html = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>nginx secret-internal-host</p></body></html>";
        var error = await FailGet(() => FakeHandler.Raw(HttpStatusCode.BadGateway, "text/html", Encoding.UTF8.GetBytes(html)));

        Assert.Equal(typeof(AwsServiceException), error.GetType());
        Assert.Equal("HttpStatus502", error.ErrorCode);
        Assert.Equal(502, error.StatusCode);
        Assert.Contains("502", error.Message);
        Assert.Contains("text/html", error.Message);
        Assert.DoesNotContain("<html", error.Message);
        Assert.DoesNotContain("nginx", error.Message);
    }

    [Fact]
    public async Task EmptyBodyWithoutHeader_GivesHttpStatusCode()
    {
        var error = await FailGet(() => FakeHandler.Raw(HttpStatusCode.NotFound, null, Array.Empty<byte>()));

        Assert.Equal("HttpStatus404", error.ErrorCode);
        Assert.Contains("404", error.Message);
        Assert.Contains("empty body", error.Message);
    }

    [Fact]
    public async Task EmptyBodyWithHeader_KeepsTypedCode()
    {
        var error = await FailGet(() =>
        {
            var response = FakeHandler.Raw(HttpStatusCode.NotFound, null, Array.Empty<byte>());
            response.Headers.TryAddWithoutValidation("x-amzn-ErrorType", "ResourceNotFoundException");
            return response;
        });

        Assert.IsType<ResourceNotFoundException>(error);
        Assert.Contains("ResourceNotFoundException", error.Message);
    }

    [Fact]
    public async Task Status429_IsDispatchedByCode_ThrottlingVersusModelNotReady()
    {
        var options = Kit.FastOptions(maxAttempts: 1);
        options.ColdStartBudget = TimeSpan.Zero;
        var throttled = FakeHandler.Sequence(() => FakeHandler.Error((HttpStatusCode)429, "ThrottlingException", "slow"));
        var notReady = FakeHandler.Sequence(() => FakeHandler.Error((HttpStatusCode)429, "ModelNotReadyException", "loading"));
        using var first = Kit.Runtime(throttled, options);
        using var second = Kit.Runtime(notReady, options);
        var request = new InvokeModelRequest { ModelId = Kit.ModelArn, Body = Encoding.UTF8.GetBytes("{}") };

        var a = await Assert.ThrowsAsync<ThrottlingException>(() => first.InvokeModelAsync(request, CancellationToken.None));
        var b = await Assert.ThrowsAsync<ModelNotReadyException>(() => second.InvokeModelAsync(request, CancellationToken.None));

        Assert.Equal(429, a.StatusCode);
        Assert.Equal(429, b.StatusCode);
        Assert.Equal("req-ModelNotReadyException", b.RequestId);
    }

    [Fact]
    public async Task ModelErrorException_CarriesOriginalStatusCode()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json((HttpStatusCode)424,
            "{\"message\":\"model crashed\",\"originalStatusCode\":500,\"resourceName\":\"r\"}", ("x-amzn-ErrorType", "ModelErrorException")));
        using var client = Kit.Runtime(handler);

        var error = await Assert.ThrowsAsync<ModelErrorException>(() => client.InvokeModelAsync(new InvokeModelRequest { ModelId = "m" }, CancellationToken.None));

        Assert.Equal(500, error.OriginalStatusCode);
        Assert.Equal("r", error.ResourceName);
        Assert.Equal(424, error.StatusCode);
    }

    [Fact]
    public async Task InvalidJsonInSuccessBody_GivesUnexpectedResponseException()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.OK, "{\"modelArn\": \"arn:x\", "));
        using var client = Kit.Control(handler);

        var error = await Assert.ThrowsAsync<UnexpectedResponseException>(() => client.GetImportedModelAsync("m", CancellationToken.None));

        Assert.Equal("UnexpectedResponse", error.ErrorCode);
        Assert.Contains("GetImportedModel", error.Message);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task JsonBodyWithoutCode_FallsBackToStatusAndKeepsMessage()
    {
        var error = await FailGet(() => With(HttpStatusCode.Forbidden, "{\"Message\":\"User is not authorized\"}"));

        Assert.Equal("HttpStatus403", error.ErrorCode);
        Assert.Equal("User is not authorized", error.Message);
    }

    [Fact]
    public async Task SecretsNeverAppearInErrorMessages()
    {
        var error = await FailGet(() => With(HttpStatusCode.Forbidden, "{\"message\":\"The request signature we calculated does not match\"}",
            ("x-amzn-ErrorType", "InvalidSignatureException")));

        Assert.DoesNotContain(Kit.SecretKey, error.ToString());
    }
}

public class SigningFailureTests
{
    private sealed class FailingCredentials : Amazon.Runtime.AWSCredentials
    {
        public override Amazon.Runtime.ImmutableCredentials GetCredentials() => throw new Amazon.Runtime.AmazonClientException("The SSO session has expired.");
        public override Task<Amazon.Runtime.ImmutableCredentials> GetCredentialsAsync() => throw new Amazon.Runtime.AmazonClientException("The SSO session has expired.");
    }

    [Fact]
    public async Task CredentialRefreshFailure_BecomesCredentialResolutionException_WithoutSdkTypeOnTop()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(System.Net.HttpStatusCode.OK, "{}"));
        var session = new BedrockImport.Engine.Credentials.AwsSession(new FailingCredentials(), "us-east-1", "profile 'sso'", "test", "http://127.0.0.1:1234/", new NoEnvironment());
        using var client = new BedrockImport.Engine.Bedrock.BedrockControlClient(session, Kit.Policy(Kit.FastOptions(), new InstantTimeProvider()), null, handler);

        var error = await Assert.ThrowsAsync<BedrockImport.Engine.Credentials.CredentialResolutionException>(() => client.GetImportedModelAsync("m", CancellationToken.None));

        Assert.Contains("SSO session has expired", error.Message);
        Assert.Contains("profile 'sso'", error.Message);
        Assert.Empty(handler.Requests);
    }

    private sealed class NoEnvironment : BedrockImport.Engine.Credentials.IEnvironment
    {
        public string Get(string name) => null;
    }
}

using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Errors;
using BedrockImport.Engine.Hub;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Wire;

/// <summary>One catalogue gives an AWS error code its kind, retry class, modeled status and class; other engine errors name themselves.</summary>
public class ErrorCatalogueTests
{
    [Theory]
    [InlineData("ValidationException", 400, ErrorKind.Invalid, RetryClass.None)]
    [InlineData("ResourceNotFoundException", 404, ErrorKind.NotFound, RetryClass.None)]
    [InlineData("AccessDeniedException", 403, ErrorKind.Denied, RetryClass.None)]
    [InlineData("ConflictException", 400, ErrorKind.Conflict, RetryClass.None)]
    [InlineData("ServiceQuotaExceededException", 400, ErrorKind.Quota, RetryClass.None)]
    [InlineData("ThrottlingException", 429, ErrorKind.Throttled, RetryClass.Throttling)]
    [InlineData("ModelNotReadyException", 429, ErrorKind.Unavailable, RetryClass.ColdStart)]
    [InlineData("ServiceUnavailableException", 503, ErrorKind.Unavailable, RetryClass.Transient)]
    [InlineData("InternalServerException", 500, ErrorKind.Unreachable, RetryClass.Transient)]
    [InlineData("ModelTimeoutException", 408, ErrorKind.Timeout, RetryClass.None)]
    [InlineData("ModelErrorException", 424, ErrorKind.Failed, RetryClass.None)]
    [InlineData("NoSuchResourceException", 400, ErrorKind.NotFound, RetryClass.None)]
    [InlineData("IllegalArgumentException", 400, ErrorKind.Invalid, RetryClass.None)]
    [InlineData("QuotaExceededException", 400, ErrorKind.Quota, RetryClass.None)]
    [InlineData("TooManyRequestsException", 400, ErrorKind.Throttled, RetryClass.Throttling)]
    [InlineData("ServiceException", 500, ErrorKind.Unreachable, RetryClass.Transient)]
    [InlineData("SlowDown", 503, ErrorKind.Throttled, RetryClass.Throttling)]
    [InlineData("SignatureDoesNotMatch", 403, ErrorKind.Unauthenticated, RetryClass.None)]
    [InlineData("NoSuchBucket", 404, ErrorKind.NotFound, RetryClass.None)]
    [InlineData("SomethingNobodyListed", 418, ErrorKind.Failed, RetryClass.None)]
    [InlineData("SomethingNobodyListed", 429, ErrorKind.Throttled, RetryClass.Throttling)]
    [InlineData("SomethingNobodyListed", 504, ErrorKind.Unreachable, RetryClass.Transient)]
    public void A_code_has_one_kind_and_one_retry_class(string code, int status, ErrorKind kind, RetryClass retry)
    {
        var error = AwsErrorCatalog.Create(code, "m", status, "req");

        Assert.Equal(code, error.ErrorCode);
        Assert.Equal(kind, error.Kind);
        Assert.Equal(retry, RetryPolicy.Classify(error, default));
        Assert.Equal(code, ((IEngineError)error).ErrorId);
    }

    [Theory]
    [InlineData("ThrottlingException", 429)]
    [InlineData("ModelStreamErrorException", 424)]
    [InlineData("ValidationException", 400)]
    [InlineData("InternalServerException", 500)]
    [InlineData("NoSuchResourceException", 200)]
    public void Stream_errors_get_the_status_their_model_declares(string code, int status)
        => Assert.Equal(status, AwsErrorCatalog.ModeledStatus(code));

    [Theory]
    [InlineData(503, RetryClass.Transient)]
    [InlineData(502, RetryClass.Transient)]
    [InlineData(408, RetryClass.Transient)]
    [InlineData(429, RetryClass.Throttling)]
    [InlineData(404, RetryClass.None)]
    [InlineData(401, RetryClass.None)]
    public void A_Hub_error_is_classified_by_its_status_without_wearing_an_AWS_code(int status, RetryClass retry)
    {
        var error = new HubException("m", status, null, "org/name");

        Assert.Equal(retry, RetryPolicy.Classify(error, default));
        Assert.Equal("HubError", error.ErrorId);
    }

    [Fact]
    public void Engine_errors_name_themselves()
    {
        IEngineError[] errors =
        {
            new HubRepositoryNotFoundException("m", 401, "RepoNotFound", "o/n"),
            new HubGatedRepositoryException("m", 403, "GatedRepo", "o/n"),
            new HubEntryNotFoundException("m", 404, "EntryNotFound", "o/n", "config.json"),
            new HubException("m", 503, null, "o/n"),
            new CredentialResolutionException(CredentialProblem.ProfileNotFound, "m"),
            new CredentialResolutionException(CredentialProblem.InvalidEndpoint, "m"),
            new CredentialResolutionException(CredentialProblem.NoCredentials, "m"),
            new S3UriFormatException(S3UriProblem.MissingScheme, "m"),
            new HubModelReferenceFormatException("m"),
            new InvocationResponseFormatException("m"),
            new ChatTemplateException("m"),
            new ChatTemplateRaisedException("Conversation roles must alternate", 3),
            new ChatTemplateLimitException(ChatTemplateLimit.LoopIterations, 5, "m"),
            new BedrockImport.Engine.ModelPackage.SafetensorsFormatException("SafetensorsHeaderNotJson", "m"),
        };

        Assert.Equal(
            new[]
            {
                ("HubRepositoryNotFound", ErrorKind.NotFound), ("HubGatedRepository", ErrorKind.Denied), ("HubEntryNotFound", ErrorKind.NotFound),
                ("HubError", ErrorKind.Unreachable), ("ProfileNotFound", ErrorKind.NotFound), ("InvalidEndpointUrl", ErrorKind.Invalid),
                ("NoCredentials", ErrorKind.NoCredentials), ("InvalidS3Uri", ErrorKind.Invalid), ("InvalidHuggingFaceModel", ErrorKind.Invalid),
                ("InvocationResponseFormatException", ErrorKind.BadResponse), ("ChatTemplateException", ErrorKind.InvalidData),
                ("ChatTemplateRaisedException", ErrorKind.Invalid), ("ChatTemplateLimitExceeded", ErrorKind.InvalidData),
                ("SafetensorsFormatException", ErrorKind.InvalidData),
            },
            errors.Select(e => (e.ErrorId, e.Kind)));
    }
}

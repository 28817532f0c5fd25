using BedrockImport.Engine.Errors;

namespace BedrockImport.Engine.Wire;

/// <summary>An error answered by an AWS service, mapped by its error code (not its HTTP status). Its kind and retry class
/// come from AwsErrorCatalog.</summary>
public class AwsServiceException : Exception, IServiceError
{
    public string ErrorCode { get; }

    string IEngineError.ErrorId => ErrorCode;

    public ErrorKind Kind => AwsErrorCatalog.KindOf(ErrorCode, StatusCode);
    public int StatusCode { get; }
    public string? RequestId { get; }

    /// <summary>The server's x-amz-retry-after hint, if it sent one.</summary>
    public TimeSpan? RetryAfter { get; internal set; }

    public AwsServiceException(string errorCode, string message, int statusCode, string? requestId, Exception? inner = null)
        : base(message, inner)
    {
        ErrorCode = errorCode;
        StatusCode = statusCode;
        RequestId = requestId;
    }
}

// Modeled Bedrock / Bedrock Runtime errors (bedrock-wire-protocol.md §2.1, §3.3). The class is chosen by error code.

public sealed class ValidationException : AwsServiceException
{
    public ValidationException(string message, int statusCode, string? requestId) : base(nameof(ValidationException), message, statusCode, requestId) { }
}

public sealed class AccessDeniedException : AwsServiceException
{
    public AccessDeniedException(string message, int statusCode, string? requestId) : base(nameof(AccessDeniedException), message, statusCode, requestId) { }
}

public sealed class ResourceNotFoundException : AwsServiceException
{
    public ResourceNotFoundException(string message, int statusCode, string? requestId) : base(nameof(ResourceNotFoundException), message, statusCode, requestId) { }
}

public sealed class ConflictException : AwsServiceException
{
    public ConflictException(string message, int statusCode, string? requestId) : base(nameof(ConflictException), message, statusCode, requestId) { }
}

public sealed class ServiceQuotaExceededException : AwsServiceException
{
    public ServiceQuotaExceededException(string message, int statusCode, string? requestId) : base(nameof(ServiceQuotaExceededException), message, statusCode, requestId) { }
}

public sealed class TooManyTagsException : AwsServiceException
{
    public TooManyTagsException(string message, int statusCode, string? requestId, string? resourceName = null)
        : base(nameof(TooManyTagsException), message, statusCode, requestId)
    {
        ResourceName = resourceName;
    }

    public string? ResourceName { get; }
}

public sealed class ThrottlingException : AwsServiceException
{
    public ThrottlingException(string message, int statusCode, string? requestId) : base(nameof(ThrottlingException), message, statusCode, requestId) { }
}

/// <summary>The imported model is not loaded (cold start). Retried within RetryOptions.ColdStartBudget.</summary>
public sealed class ModelNotReadyException : AwsServiceException
{
    public ModelNotReadyException(string message, int statusCode, string? requestId) : base(nameof(ModelNotReadyException), message, statusCode, requestId) { }
}

public sealed class InternalServerException : AwsServiceException
{
    public InternalServerException(string message, int statusCode, string? requestId) : base(nameof(InternalServerException), message, statusCode, requestId) { }
}

public sealed class ServiceUnavailableException : AwsServiceException
{
    public ServiceUnavailableException(string message, int statusCode, string? requestId) : base(nameof(ServiceUnavailableException), message, statusCode, requestId) { }
}

public sealed class ModelTimeoutException : AwsServiceException
{
    public ModelTimeoutException(string message, int statusCode, string? requestId) : base(nameof(ModelTimeoutException), message, statusCode, requestId) { }
}

public sealed class ModelErrorException : AwsServiceException
{
    public ModelErrorException(string message, int statusCode, string? requestId, int? originalStatusCode = null, string? resourceName = null)
        : base(nameof(ModelErrorException), message, statusCode, requestId)
    {
        OriginalStatusCode = originalStatusCode;
        ResourceName = resourceName;
    }

    public int? OriginalStatusCode { get; }
    public string? ResourceName { get; }
}

public sealed class ModelStreamErrorException : AwsServiceException
{
    public ModelStreamErrorException(string message, int statusCode, string? requestId, int? originalStatusCode = null, string? originalMessage = null)
        : base(nameof(ModelStreamErrorException), message, statusCode, requestId)
    {
        OriginalStatusCode = originalStatusCode;
        OriginalMessage = originalMessage;
    }

    public int? OriginalStatusCode { get; }
    public string? OriginalMessage { get; }
}

/// <summary>The service (or something in front of it) answered with a body this client cannot read:
/// invalid JSON in a success response, or a malformed event stream. ErrorCode is "UnexpectedResponse".</summary>
public sealed class UnexpectedResponseException : AwsServiceException
{
    public const string Code = "UnexpectedResponse";

    public UnexpectedResponseException(string message, int statusCode, string? requestId, Exception? inner = null)
        : base(Code, message, statusCode, requestId, inner) { }
}

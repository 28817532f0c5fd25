using System.Text.Json;
using BedrockImport.Engine.Errors;

namespace BedrockImport.Engine.Wire;

/// <summary>The one table of AWS error codes: for each, its kind (read by the cmdlets' error records), its retry class
/// (read by the retry policy), the HTTP status the service model declares (for errors that arrive inside an event
/// stream) and, where the code has members of its own, the exception class that carries them. The error parser, the
/// retry policy and the cmdlets all read this table; a code that is not here is judged by its HTTP status.
/// Sources: the botocore models of bedrock, bedrock-runtime and service-quotas, and the S3 and STS codes the SDKs retry.</summary>
internal static class AwsErrorCatalog
{
    internal delegate AwsServiceException Factory(string message, int statusCode, string? requestId, JsonElement? body);

    internal sealed class Entry
    {
        public Entry(string code, ErrorKind kind, RetryClass retry, int? modeledStatus, Factory? create)
        {
            Code = code;
            Kind = kind;
            Retry = retry;
            ModeledStatus = modeledStatus;
            Create = create;
        }

        public string Code { get; }
        public ErrorKind Kind { get; }
        public RetryClass Retry { get; }
        public int? ModeledStatus { get; }
        public Factory? Create { get; }
    }

    private static readonly Dictionary<string, Entry> Entries = Build();

    public static Entry? Find(string code) => Entries.TryGetValue(code, out var entry) ? entry : null;

    public static ErrorKind KindOf(string code, int statusCode) => Find(code)?.Kind ?? HttpStatusRules.Kind(statusCode);

    public static RetryClass RetryOf(string code, int statusCode) => Find(code)?.Retry ?? HttpStatusRules.Retry(statusCode);

    /// <summary>The exception class for an error code; unknown codes stay AwsServiceException.</summary>
    public static AwsServiceException Create(string code, string message, int statusCode, string? requestId, JsonElement? body = null)
        => Find(code)?.Create?.Invoke(message, statusCode, requestId, body) ?? new AwsServiceException(code, message, statusCode, requestId);

    /// <summary>The HTTP status a modeled error is declared with; 200 for codes the models do not declare.</summary>
    public static int ModeledStatus(string code) => Find(code)?.ModeledStatus ?? 200;

    private static Dictionary<string, Entry> Build()
    {
        var table = new Dictionary<string, Entry>(StringComparer.Ordinal);
        void Add(string code, ErrorKind kind, RetryClass retry = RetryClass.None, int? status = null, Factory? create = null)
            => table.Add(code, new Entry(code, kind, retry, status, create));

        // Bedrock and Bedrock Runtime (rest-json; status as the models declare it).
        Add(nameof(ValidationException), ErrorKind.Invalid, status: 400, create: (m, s, r, _) => new ValidationException(m, s, r));
        Add(nameof(AccessDeniedException), ErrorKind.Denied, status: 403, create: (m, s, r, _) => new AccessDeniedException(m, s, r));
        Add(nameof(ResourceNotFoundException), ErrorKind.NotFound, status: 404, create: (m, s, r, _) => new ResourceNotFoundException(m, s, r));
        Add(nameof(ConflictException), ErrorKind.Conflict, status: 400, create: (m, s, r, _) => new ConflictException(m, s, r));
        Add("ResourceInUseException", ErrorKind.Conflict, status: 400);
        Add(nameof(ServiceQuotaExceededException), ErrorKind.Quota, status: 400, create: (m, s, r, _) => new ServiceQuotaExceededException(m, s, r));
        Add(nameof(TooManyTagsException), ErrorKind.Quota, status: 400,
            create: (m, s, r, body) => new TooManyTagsException(m, s, r, JsonMembers.String(body, "resourceName")));
        Add(nameof(ThrottlingException), ErrorKind.Throttled, RetryClass.Throttling, 429, (m, s, r, _) => new ThrottlingException(m, s, r));
        Add(nameof(ModelNotReadyException), ErrorKind.Unavailable, RetryClass.ColdStart, 429, (m, s, r, _) => new ModelNotReadyException(m, s, r));
        Add(nameof(InternalServerException), ErrorKind.Unreachable, RetryClass.Transient, 500, (m, s, r, _) => new InternalServerException(m, s, r));
        Add(nameof(ServiceUnavailableException), ErrorKind.Unavailable, RetryClass.Transient, 503, (m, s, r, _) => new ServiceUnavailableException(m, s, r));
        Add(nameof(ModelTimeoutException), ErrorKind.Timeout, status: 408, create: (m, s, r, _) => new ModelTimeoutException(m, s, r));
        Add(nameof(ModelErrorException), ErrorKind.Failed, status: 424,
            create: (m, s, r, body) => new ModelErrorException(m, s, r, JsonMembers.Int(body, "originalStatusCode"), JsonMembers.String(body, "resourceName")));
        Add(nameof(ModelStreamErrorException), ErrorKind.Failed, status: 424,
            create: (m, s, r, body) => new ModelStreamErrorException(m, s, r, JsonMembers.Int(body, "originalStatusCode"), JsonMembers.String(body, "originalMessage")));

        // Service Quotas (JSON 1.1; its model declares no statuses).
        Add("NoSuchResourceException", ErrorKind.NotFound);
        Add("IllegalArgumentException", ErrorKind.Invalid);
        Add("InvalidPaginationTokenException", ErrorKind.Invalid);
        Add("TagPolicyViolationException", ErrorKind.Invalid);
        Add("DependencyAccessDeniedException", ErrorKind.Denied);
        Add("AWSServiceAccessNotEnabledException", ErrorKind.Denied);
        Add("NoAvailableOrganizationException", ErrorKind.Failed);
        Add("OrganizationNotInAllFeaturesModeException", ErrorKind.Failed);
        Add("ServiceQuotaTemplateNotInUseException", ErrorKind.Failed);
        Add("TemplatesNotAvailableInRegionException", ErrorKind.Failed);
        Add("InvalidResourceStateException", ErrorKind.Conflict);
        Add("ResourceAlreadyExistsException", ErrorKind.Conflict);
        Add("QuotaExceededException", ErrorKind.Quota);
        Add("ServiceException", ErrorKind.Unreachable, RetryClass.Transient);

        // Throttling codes any AWS service may answer (the SDKs' standard retry list).
        foreach (var code in new[] { "TooManyRequestsException", "Throttling", "ThrottledException", "RequestThrottledException",
                     "RequestThrottled", "SlowDown", "RequestLimitExceeded", "ProvisionedThroughputExceededException", "BandwidthLimitExceeded" })
        {
            Add(code, ErrorKind.Throttled, RetryClass.Throttling);
        }

        // Transient codes any AWS service may answer.
        foreach (var code in new[] { "InternalFailure", "InternalError", "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete" })
        {
            Add(code, ErrorKind.Unreachable, RetryClass.Transient);
        }

        // S3 codes the cmdlets name.
        Add("NoSuchBucket", ErrorKind.NotFound);
        Add("NoSuchKey", ErrorKind.NotFound);
        Add("AccessDenied", ErrorKind.Denied);

        // The signature, key or token was refused (every service).
        foreach (var code in new[] { "InvalidSignatureException", "SignatureDoesNotMatch", "UnrecognizedClientException", "InvalidAccessKeyId",
                     "ExpiredTokenException", "RequestTimeTooSkewed" })
        {
            Add(code, ErrorKind.Unauthenticated);
        }

        // Ours: an answer this client cannot read is never retried (the same request gets the same answer).
        Add(UnexpectedResponseException.Code, ErrorKind.Failed);
        return table;
    }
}

using BedrockImport.Engine.Errors;

namespace BedrockImport.Engine.Quotas;

/// <summary>Service Quotas lists no quota of that name for service code bedrock in the region (the account or region
/// may not offer Custom Model Import).</summary>
public sealed class ImportQuotaNotFoundException : Exception, IEngineError
{
    public ImportQuotaNotFoundException(string message) : base(message)
    {
    }

    public string ErrorId => "ImportQuotaNotFound";

    public ErrorKind Kind => ErrorKind.NotFound;
}

/// <summary>An increase that Service Quotas would refuse, caught before it is sent: the quota is not adjustable
/// (ErrorId QuotaNotAdjustable), or the desired value does not exceed the value in force (DesiredValueNotAboveQuota).</summary>
public sealed class ImportQuotaIncreaseException : Exception, IEngineError
{
    public const string NotAdjustable = "QuotaNotAdjustable";
    public const string NotAboveQuota = "DesiredValueNotAboveQuota";

    public ImportQuotaIncreaseException(string errorId, string message, ImportQuota quota) : base(message)
    {
        ErrorId = errorId;
        Quota = quota;
    }

    public string ErrorId { get; }

    public ErrorKind Kind => ErrorId == NotAdjustable ? ErrorKind.Denied : ErrorKind.Invalid;

    public ImportQuota Quota { get; }
}

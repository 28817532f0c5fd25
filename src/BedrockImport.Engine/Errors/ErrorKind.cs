namespace BedrockImport.Engine.Errors;

/// <summary>What went wrong, in words a caller can act on. The cmdlets turn a kind into an ErrorCategory from one table
/// (ErrorRecords); the retry policy reads retry classes from the same catalogue entries (AwsErrorCatalog).</summary>
public enum ErrorKind
{
    /// <summary>The operation failed for a reason none of the others name.</summary>
    Failed,
    NotFound,
    /// <summary>A value the caller gave is malformed or out of range.</summary>
    Invalid,
    /// <summary>Data read from somewhere (a model folder, a file) is not what it must be.</summary>
    InvalidData,
    /// <summary>Authenticated, but not allowed.</summary>
    Denied,
    /// <summary>The service refused who we are: a bad signature, an unknown key, an expired token.</summary>
    Unauthenticated,
    /// <summary>No usable credentials could be found or obtained.</summary>
    NoCredentials,
    Throttled,
    /// <summary>The resource or service is there but cannot serve now (a cold model, a 503).</summary>
    Unavailable,
    /// <summary>The service could not be reached, or failed on its side (5xx).</summary>
    Unreachable,
    Conflict,
    Quota,
    Timeout,
    /// <summary>The answer arrived but cannot be read as what it should be.</summary>
    BadResponse,
    /// <summary>Reading or writing local data failed.</summary>
    ReadFailed,
    Unspecified,
}

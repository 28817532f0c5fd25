namespace BedrockImport.Engine.Errors;

/// <summary>An engine exception that names itself: a stable error id (the service's error code, or one of ours such as
/// "InvalidS3Uri") and its kind. The cmdlets build error records from these two alone, so a new exception type needs
/// no change outside its own file.</summary>
public interface IEngineError
{
    string ErrorId { get; }

    ErrorKind Kind { get; }
}

/// <summary>An error answered over HTTP by a remote service (AWS or the Hugging Face Hub). The retry policy classifies
/// any of these by what it says: its catalogue entry where it has one, else its status and its retry-after hint.</summary>
public interface IServiceError : IEngineError
{
    /// <summary>The HTTP status (0 when no answer arrived).</summary>
    int StatusCode { get; }

    /// <summary>How long the service asked us to wait before trying again, if it said.</summary>
    TimeSpan? RetryAfter { get; }
}

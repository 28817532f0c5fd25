namespace BedrockImport.Engine.Errors;

/// <summary>What an HTTP status alone says, for errors whose code no catalogue knows (an AWS code we have not listed,
/// a proxy's page, any Hugging Face Hub answer).</summary>
internal static class HttpStatusRules
{
    public static ErrorKind Kind(int statusCode) => statusCode switch
    {
        0 => ErrorKind.Unreachable,
        429 => ErrorKind.Throttled,
        _ when statusCode >= 500 => ErrorKind.Unreachable,
        _ => ErrorKind.Failed,
    };

    public static RetryClass Retry(int statusCode) => statusCode switch
    {
        429 => RetryClass.Throttling,
        408 or 500 or 502 or 503 or 504 => RetryClass.Transient,
        _ => RetryClass.None,
    };
}

using System.Management.Automation;
using BedrockImport.Engine.Errors;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Infrastructure;

/// <summary>Maps exceptions to error records: a specific error id, a fitting category, a message with no stack trace.
/// Engine exceptions name themselves (IEngineError); only framework exceptions are recognised by type here.</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(Exception exception, object? targetObject, Func<string, string> redact)
    {
        var (errorId, category, message) = Describe(exception);
        var record = new ErrorRecord(new BedrockImportException(redact(message), exception), errorId, category, targetObject);
        return record;
    }

    public static ErrorRecord Argument(string errorId, string message, object? targetObject)
        => new ErrorRecord(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, targetObject);

    private static (string ErrorId, ErrorCategory Category, string Message) Describe(Exception exception)
    {
        switch (exception)
        {
            case AwsServiceException service:
                var detail = service.RequestId == null
                    ? $"{service.ErrorCode}, HTTP {service.StatusCode}"
                    : $"{service.ErrorCode}, HTTP {service.StatusCode}, request id {service.RequestId}";
                return (service.ErrorCode, CategoryOf(service.Kind), $"{service.Message} ({detail})");

            case IEngineError named:
                return (named.ErrorId, CategoryOf(named.Kind), exception.Message);

            // Framework exceptions that reach the cmdlets as they are.
            case DirectoryNotFoundException or FileNotFoundException:
                return ("PathNotFound", ErrorCategory.ObjectNotFound, exception.Message);

            case HttpRequestException http:
                return ("EndpointUnreachable", ErrorCategory.ConnectionError, $"Could not reach the service: {Innermost(http).Message}");

            case TimeoutException timeout:
                return ("Timeout", ErrorCategory.OperationTimeout, timeout.Message);

            case IOException io:
                return ("IOError", ErrorCategory.ReadError, io.Message);

            case ArgumentException argument:
                return ("InvalidArgument", ErrorCategory.InvalidArgument, argument.Message);

            default:
                return (exception.GetType().Name, ErrorCategory.NotSpecified, exception.Message);
        }
    }

    /// <summary>The one table from what went wrong to how PowerShell files it.</summary>
    internal static ErrorCategory CategoryOf(ErrorKind kind) => kind switch
    {
        ErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.Invalid => ErrorCategory.InvalidArgument,
        ErrorKind.InvalidData => ErrorCategory.InvalidData,
        ErrorKind.Denied => ErrorCategory.PermissionDenied,
        ErrorKind.Unauthenticated => ErrorCategory.SecurityError,
        ErrorKind.NoCredentials => ErrorCategory.AuthenticationError,
        ErrorKind.Throttled => ErrorCategory.LimitsExceeded,
        ErrorKind.Unavailable => ErrorCategory.ResourceUnavailable,
        ErrorKind.Unreachable => ErrorCategory.ConnectionError,
        ErrorKind.Conflict => ErrorCategory.ResourceExists,
        ErrorKind.Quota => ErrorCategory.QuotaExceeded,
        ErrorKind.Timeout => ErrorCategory.OperationTimeout,
        ErrorKind.BadResponse => ErrorCategory.InvalidResult,
        ErrorKind.ReadFailed => ErrorCategory.ReadError,
        ErrorKind.Unspecified => ErrorCategory.NotSpecified,
        _ => ErrorCategory.InvalidOperation,
    };

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException != null)
        {
            exception = exception.InnerException;
        }

        return exception;
    }
}

/// <summary>The exception inside every error record this module writes: the message users read, the engine's exception as inner.</summary>
public sealed class BedrockImportException : Exception
{
    public BedrockImportException(string message, Exception? inner) : base(message, inner)
    {
    }
}

using System;
using System.IO;
using System.Management.Automation;
using System.Net.Http;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Hub;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Infrastructure
{
    /// <summary>Maps engine exceptions to error records: a specific error id, a fitting category, a message with no stack trace.</summary>
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
                case CredentialResolutionException credentials:
                    return (credentials.Problem switch
                    {
                        CredentialProblem.NoCredentials => "NoCredentials",
                        CredentialProblem.ProfileNotFound => "ProfileNotFound",
                        CredentialProblem.NoRegion => "NoRegion",
                        CredentialProblem.InvalidRegion => "InvalidRegion",
                        CredentialProblem.InvalidEndpoint => "InvalidEndpointUrl",
                        CredentialProblem.IncompleteKeys => "IncompleteAccessKeys",
                        _ => "CredentialObjectUnreadable",
                    }, credentials.Problem switch
                    {
                        CredentialProblem.InvalidRegion or CredentialProblem.InvalidEndpoint or CredentialProblem.IncompleteKeys => ErrorCategory.InvalidArgument,
                        CredentialProblem.ProfileNotFound => ErrorCategory.ObjectNotFound,
                        _ => ErrorCategory.AuthenticationError,
                    }, credentials.Message);

                case AwsServiceException service:
                    var detail = service.RequestId == null
                        ? $"{service.ErrorCode}, HTTP {service.StatusCode}"
                        : $"{service.ErrorCode}, HTTP {service.StatusCode}, request id {service.RequestId}";
                    return (service.ErrorCode, CategoryOf(service.ErrorCode, service.StatusCode), $"{service.Message} ({detail})");

                case HubRepositoryNotFoundException:
                    return ("HubRepositoryNotFound", ErrorCategory.ObjectNotFound, exception.Message);

                case HubGatedRepositoryException:
                    return ("HubGatedRepository", ErrorCategory.PermissionDenied, exception.Message);

                case HubAccessDeniedException:
                    return ("HubAccessDenied", ErrorCategory.PermissionDenied, exception.Message);

                case HubRevisionNotFoundException:
                    return ("HubRevisionNotFound", ErrorCategory.ObjectNotFound, exception.Message);

                case HubEntryNotFoundException:
                    return ("HubEntryNotFound", ErrorCategory.ObjectNotFound, exception.Message);

                case HubException hub:
                    return ("HubError", hub.StatusCode >= 500 || hub.StatusCode == 0 ? ErrorCategory.ConnectionError : ErrorCategory.InvalidOperation, hub.Message);

                case HubModelReferenceFormatException reference:
                    return ("InvalidHuggingFaceModel", ErrorCategory.InvalidArgument, reference.Message);

                case Engine.Invocation.InvocationResponseFormatException badAnswer:
                    return ("InvocationResponseFormatException", ErrorCategory.InvalidResult, badAnswer.Message);

                case S3UriFormatException s3Uri:
                    return ("InvalidS3Uri", ErrorCategory.InvalidArgument, s3Uri.Message);

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

        private static ErrorCategory CategoryOf(string code, int status) => code switch
        {
            "ResourceNotFoundException" or "NoSuchBucket" or "NoSuchKey" => ErrorCategory.ObjectNotFound,
            "AccessDeniedException" or "AccessDenied" => ErrorCategory.PermissionDenied,
            "InvalidSignatureException" or "SignatureDoesNotMatch" or "UnrecognizedClientException" or "InvalidAccessKeyId"
                or "ExpiredTokenException" or "RequestTimeTooSkewed" => ErrorCategory.SecurityError,
            "ValidationException" => ErrorCategory.InvalidArgument,
            "ConflictException" => ErrorCategory.ResourceExists,
            "ServiceQuotaExceededException" or "TooManyTagsException" => ErrorCategory.QuotaExceeded,
            "ThrottlingException" or "TooManyRequestsException" or "SlowDown" => ErrorCategory.LimitsExceeded,
            "ModelNotReadyException" or "ServiceUnavailableException" => ErrorCategory.ResourceUnavailable,
            "ModelTimeoutException" => ErrorCategory.OperationTimeout,
            _ when status >= 500 => ErrorCategory.ConnectionError,
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
}

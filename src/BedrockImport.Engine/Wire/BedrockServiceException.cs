using System;

namespace BedrockImport.Engine.Wire
{
    /// <summary>An error answered by an AWS service, mapped by its error code (not its HTTP status).</summary>
    public class AwsServiceException : Exception
    {
        public string ErrorCode { get; }
        public int StatusCode { get; }
        public string? RequestId { get; }

        public AwsServiceException(string errorCode, string message, int statusCode, string? requestId, Exception? inner = null)
            : base(message, inner)
        {
            ErrorCode = errorCode;
            StatusCode = statusCode;
            RequestId = requestId;
        }
    }
}

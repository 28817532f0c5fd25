using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Transfer;

/// <summary>The one place that builds an AmazonS3Client from an AwsSession. SDK retries are off: every call goes through
/// the engine's RetryPolicy (see S3Calls), and SDK exceptions are mapped to AwsServiceException there.</summary>
internal static class S3ClientFactory
{
    public const int RequestBodyBufferSize = 256 * 1024;

    public static AmazonS3Client Create(AwsSession session, RetryOptions retry, int maxConnections = 0)
    {
        var config = new AmazonS3Config
        {
            MaxErrorRetry = 0,
            Timeout = retry.RequestTimeout,
            // The uploader sends its own SHA-256 per part; no SDK-chosen CRC trailers on other calls.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // The SDK copies a part's body to the connection through a buffer of this size (8 KiB by default: a send
            // call per 8 KiB of every part).
            BufferSize = RequestBodyBufferSize,
        };
        if (maxConnections > 0)
        {
            config.MaxConnectionsPerServer = maxConnections;
        }

        var endpoint = EndpointOverride(session);
        if (endpoint != null)
        {
            config.ServiceURL = endpoint.ToString();
            config.ForcePathStyle = true;
            config.AuthenticationRegion = session.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(session.Region);
            config.AuthenticationRegion = session.Region;
        }

        return new ChecksumSignedS3Client(session.Credentials, config);
    }

    /// <summary>The configured S3 endpoint when it is not the regional AWS default, else null.</summary>
    public static Uri? EndpointOverride(AwsSession session)
        => session.HasEndpointOverride(AwsService.S3) ? session.ResolveEndpoint(AwsService.S3) : null;

    /// <summary>An SDK exception as the engine's exception (retry classification is keyed by its code and status).
    /// Connection failures become IOException (retryable); other exceptions are returned unchanged.</summary>
    public static Exception MapException(Exception error)
    {
        switch (error)
        {
            case System.Xml.XmlException xml:
                return new UnexpectedResponseException("The S3 endpoint answered with something that is not valid S3 XML (is -EndpointUrl an S3 endpoint?).", 0, null, xml);
            // The SDK's XML unmarshallers parse numbers, booleans and dates with int/bool/DateTime.Parse and let the
            // FormatException or OverflowException out unwrapped (found by fuzzing: <MaxKeys>10p0</MaxKeys> in a 200).
            case Exception parse when parse is FormatException || parse is OverflowException:
                return new UnexpectedResponseException("The S3 endpoint answered with something that is not valid S3 XML (is -EndpointUrl an S3 endpoint?).", 0, null, parse);
            case AmazonUnmarshallingException unmarshalling:
                return new UnexpectedResponseException("The S3 endpoint answered with something that is not valid S3 XML (is -EndpointUrl an S3 endpoint?).",
                    (int)unmarshalling.StatusCode, unmarshalling.RequestId, unmarshalling);
            case AmazonServiceException service when !string.IsNullOrEmpty(service.ErrorCode) || (int)service.StatusCode != 0:
                var code = string.IsNullOrEmpty(service.ErrorCode) ? "HttpStatus" + ((int)service.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) : service.ErrorCode;
                var message = string.IsNullOrEmpty(service.Message) ? code + ": the service returned HTTP " + (int)service.StatusCode + "." : service.Message;
                return new AwsServiceException(code, message, (int)service.StatusCode, service.RequestId, service);
            case AmazonServiceException wrapper when wrapper.InnerException is HttpRequestException || wrapper.InnerException is IOException:
                return new IOException(wrapper.InnerException.Message, wrapper.InnerException);
            case AmazonClientException client when client.InnerException is HttpRequestException || client.InnerException is IOException:
                return new IOException(client.InnerException.Message, client.InnerException);
            default:
                return error;
        }
    }
}

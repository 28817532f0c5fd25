using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Fuzz;

/// <summary>The S3 side of the error parsing: the engine leaves S3's XML to the AWS SDK and maps whatever the SDK throws
/// with S3ClientFactory.MapException. The target answers one SDK call with the input and checks that what comes out is
/// the engine's own error (AwsServiceException, UnexpectedResponseException) or a connection IOException.</summary>
public static class S3Targets
{
    private static readonly FixedAnswerHandler Handler = new();

    private static readonly AmazonS3Client Client = new(new BasicAWSCredentials("AKIDFUZZ", "fuzz-secret"), new AmazonS3Config
    {
        ServiceURL = "http://127.0.0.1:9/",
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = 0,
        HttpClientFactory = new FixedAnswerClientFactory(Handler),
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public static bool IsEngineError(Exception e) => e is AwsServiceException || e is IOException;

    public static void S3ErrorTarget(byte[] input)
    {
        // The first byte picks the status and the call; the rest is the XML body.
        var selector = input.Length == 0 ? 0 : input[0];
        var statuses = new[] { HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.Forbidden, HttpStatusCode.NotFound, HttpStatusCode.Conflict, HttpStatusCode.InternalServerError, HttpStatusCode.ServiceUnavailable, HttpStatusCode.MovedPermanently };
        Handler.Status = statuses[selector % statuses.Length];
        Handler.Body = input.Length == 0 ? Array.Empty<byte>() : input.AsSpan(1).ToArray();
        try
        {
            switch ((selector / statuses.Length) % 3)
            {
                case 0:
                    _ = Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bucket", Prefix = "model/" }).GetAwaiter().GetResult().S3Objects?.Count;
                    break;
                case 1:
                    _ = Client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                    {
                        BucketName = "bucket", Key = "model/a", UploadId = "u",
                        PartETags = new List<PartETag> { new(1, "\"e\"") },
                    }).GetAwaiter().GetResult().ETag;
                    break;
                default:
                    _ = Client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = "bucket" }).GetAwaiter().GetResult().MultipartUploads?.Count;
                    break;
            }
        }
        catch (Exception e)
        {
            throw S3ClientFactory.MapException(e);
        }
    }

    private sealed class FixedAnswerHandler : HttpMessageHandler
    {
        public HttpStatusCode Status { get; set; }
        public byte[] Body { get; set; } = Array.Empty<byte>();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(Status) { Content = new ByteArrayContent(Body), RequestMessage = request };
            response.Content.Headers.TryAddWithoutValidation("Content-Type", "application/xml");
            response.Headers.TryAddWithoutValidation("x-amz-request-id", "REQ");
            return Task.FromResult(response);
        }
    }

    private sealed class FixedAnswerClientFactory : HttpClientFactory
    {
        private readonly HttpMessageHandler _handler;

        public FixedAnswerClientFactory(HttpMessageHandler handler) => _handler = handler;

        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(_handler, disposeHandler: false);

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => true;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
    }
}

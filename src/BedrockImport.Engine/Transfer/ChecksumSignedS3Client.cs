using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;
using Amazon.S3.Model;

namespace BedrockImport.Engine.Transfer;

/// <summary>An AmazonS3Client that signs a PutObject or UploadPart with the SHA-256 its x-amz-checksum-sha256 header already
/// carries. Over plain HTTP the payload is signed, and AWSSDK.Core's signer would otherwise read the whole part again to hash
/// it (its own x-amz-content-sha256 header is dropped before signing; only IRequest.PrecomputedContentSha256 is honoured).
/// S3 checks the body against both values, so a part changed after it was hashed is still refused.</summary>
internal sealed class ChecksumSignedS3Client : AmazonS3Client
{
    public ChecksumSignedS3Client(AWSCredentials credentials, AmazonS3Config config)
        : base(credentials, config)
    {
    }

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        pipeline.AddHandlerBefore<Signer>(new ChecksumAsPayloadHash());
    }

    /// <summary>Runs after the marshaller and the checksum handler, before the signer.</summary>
    internal sealed class ChecksumAsPayloadHash : PipelineHandler
    {
        public const string Sha256Header = "x-amz-checksum-sha256";

        public override void InvokeSync(IExecutionContext executionContext)
        {
            Apply(executionContext.RequestContext.Request);
            base.InvokeSync(executionContext);
        }

        public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            Apply(executionContext.RequestContext.Request);
            return base.InvokeAsync<T>(executionContext);
        }

        /// <summary>Only where the header's digest is the digest of the exact bytes sent: the whole body as it is (no aws-chunked
        /// framing, no trailer, no compression), signed.</summary>
        internal static void Apply(IRequest request)
        {
            if (!(request.OriginalRequest is UploadPartRequest || request.OriginalRequest is PutObjectRequest)
                || request.UseChunkEncoding
                || request.DisablePayloadSigning == true
                || (request.TrailingHeaders != null && request.TrailingHeaders.Count > 0)
                || request.Headers.ContainsKey("Content-Encoding")
                || !string.IsNullOrEmpty(request.PrecomputedContentSha256)
                || !request.Headers.TryGetValue(Sha256Header, out var base64)
                || (request.ContentStream != null && request.ContentStream.CanSeek && request.ContentStream.Position != 0))
            {
                return;
            }

            byte[] digest;
            try
            {
                digest = Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                return;
            }

            if (digest.Length == 32)
            {
                request.PrecomputedContentSha256 = Sha256Checksums.Hex(digest);
            }
        }
    }
}

using System.Net;
using System.Security.Cryptography;
using System.Xml.Linq;
using Amazon.S3;
using Amazon.S3.Model;

namespace BedrockImport.LocalEndpoint.Tests.S3;

/// <summary>A plain signed body carries two SHA-256 claims, x-amz-content-sha256 (hex) and x-amz-checksum-sha256 (base64).
/// The endpoint hashes the body once for both; these pin that each claim is still checked on its own.</summary>
public sealed class PayloadHashTests
{
    private static readonly byte[] Body = TestEndpoint.RandomBytes(300_001, seed: 15);
    private static readonly byte[] BodyDigest = SHA256.HashData(Body);
    private static readonly byte[] OtherDigest = SHA256.HashData(Body.AsSpan(1));

    public enum Claim { Absent, Right, Wrong }

    [Theory]
    [InlineData(Claim.Right, Claim.Absent, null)]
    [InlineData(Claim.Wrong, Claim.Absent, "XAmzContentSHA256Mismatch")]
    [InlineData(Claim.Right, Claim.Right, null)]
    [InlineData(Claim.Right, Claim.Wrong, "BadDigest")]
    [InlineData(Claim.Wrong, Claim.Right, "XAmzContentSHA256Mismatch")]
    [InlineData(Claim.Wrong, Claim.Wrong, "XAmzContentSHA256Mismatch")]
    public async Task PutObject_ChecksEachSha256ClaimOnItsOwn(Claim payloadHash, Claim checksum, string expectedError)
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");

        using var response = await endpoint.SendSignedAsync(HttpMethod.Put, "/bkt/k", Body, Headers(payloadHash, checksum));

        var text = await response.Content.ReadAsStringAsync();
        if (expectedError is null)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            await using var stored = endpoint.Server.Context.S3.OpenRead("bkt", "k");
            Assert.Equal(BodyDigest, await SHA256.HashDataAsync(stored));
            if (checksum == Claim.Right)
                Assert.Equal(Convert.ToBase64String(BodyDigest), response.Headers.GetValues("x-amz-checksum-sha256").Single());
        }
        else
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(expectedError, XDocument.Parse(text).Root!.Element("Code")!.Value);
            Assert.Null(endpoint.Server.Context.S3.Find("bkt", "k"));
        }
    }

    // An upload created with the SHA256 algorithm computes the part's SHA-256 even when no header claims it: the same
    // digest then checks the payload hash.
    [Theory]
    [InlineData(Claim.Right, Claim.Absent, null)]
    [InlineData(Claim.Wrong, Claim.Absent, "XAmzContentSHA256Mismatch")]
    [InlineData(Claim.Right, Claim.Right, null)]
    [InlineData(Claim.Right, Claim.Wrong, "BadDigest")]
    [InlineData(Claim.Wrong, Claim.Right, "XAmzContentSHA256Mismatch")]
    public async Task UploadPart_OfSha256Upload_ChecksEachSha256ClaimOnItsOwn(Claim payloadHash, Claim checksum, string expectedError)
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = "bkt", Key = "k", ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
        });

        using var response = await endpoint.SendSignedAsync(HttpMethod.Put,
            $"/bkt/k?partNumber=1&uploadId={Uri.EscapeDataString(upload.UploadId)}", Body, Headers(payloadHash, checksum));

        var text = await response.Content.ReadAsStringAsync();
        var parts = (await s3.ListPartsAsync(new ListPartsRequest { BucketName = "bkt", Key = "k", UploadId = upload.UploadId })).Parts
                    ?? new List<PartDetail>();
        if (expectedError is null)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.Equal(Convert.ToBase64String(BodyDigest), response.Headers.GetValues("x-amz-checksum-sha256").Single());
            Assert.Equal(Convert.ToBase64String(BodyDigest), Assert.Single(parts).ChecksumSHA256);
        }
        else
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(expectedError, XDocument.Parse(text).Root!.Element("Code")!.Value);
            Assert.Empty(parts);
        }
    }

    private static Dictionary<string, string> Headers(Claim payloadHash, Claim checksum)
    {
        var headers = new Dictionary<string, string>
        {
            ["x-amz-content-sha256"] = Convert.ToHexStringLower(payloadHash == Claim.Right ? BodyDigest : OtherDigest),
        };
        if (checksum != Claim.Absent)
            headers["x-amz-checksum-sha256"] = Convert.ToBase64String(checksum == Claim.Right ? BodyDigest : OtherDigest);
        return headers;
    }
}

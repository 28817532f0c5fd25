using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace BedrockImport.Engine.Tests.Transfer;

public class ChecksumSignedS3ClientTests
{
    private const int PartSize = 5 * 1024 * 1024;

    [Fact]
    public async Task A_part_with_its_sha256_checksum_is_read_once_and_signed_with_that_digest()
    {
        await using var s3 = await LocalS3.StartAsync();
        using var client = s3.Client();
        var body = RandomNumberGenerator.GetBytes(PartSize);
        var created = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = LocalS3.Bucket, Key = "once/part", ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
        });
        using var counted = new ReadCountingStream(body);

        var uploaded = await client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = LocalS3.Bucket, Key = "once/part", UploadId = created.UploadId, PartNumber = 1, PartSize = body.Length,
            InputStream = counted, ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            ChecksumSHA256 = Convert.ToBase64String(SHA256.HashData(body)), UseChunkEncoding = false,
        });

        // The signer took the payload hash from the checksum (the endpoint verified it against the body); only the send read it.
        Assert.Equal(body.Length, counted.BytesRead);
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(body)), uploaded.ChecksumSHA256);
    }

    [Fact]
    public async Task A_part_without_a_checksum_is_still_hashed_by_the_signer()
    {
        await using var s3 = await LocalS3.StartAsync();
        using var client = s3.Client();
        var body = RandomNumberGenerator.GetBytes(PartSize);
        var created = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = LocalS3.Bucket, Key = "twice/part" });
        using var counted = new ReadCountingStream(body);

        await client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = LocalS3.Bucket, Key = "twice/part", UploadId = created.UploadId, PartNumber = 1, PartSize = body.Length,
            InputStream = counted, UseChunkEncoding = false,
        });

        Assert.Equal(2L * body.Length, counted.BytesRead);
    }

    /// <summary>A seekable stream over bytes that counts what is read from it. MemoryStream sends every other read of a
    /// subclass (spans, async) through Read(byte[], int, int), so counting there counts each byte once per pass.</summary>
    private sealed class ReadCountingStream : MemoryStream
    {
        public ReadCountingStream(byte[] bytes) : base(bytes, writable: false)
        {
        }

        public long BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = base.Read(buffer, offset, count);
            BytesRead += read;
            return read;
        }

        public override int ReadByte()
        {
            var value = base.ReadByte();
            if (value >= 0)
            {
                BytesRead++;
            }

            return value;
        }
    }
}

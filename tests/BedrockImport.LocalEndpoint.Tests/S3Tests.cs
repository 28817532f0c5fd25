using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace BedrockImport.LocalEndpoint.Tests;

public sealed class S3Tests
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task TransferUtility_WithDefaultSettings_UploadsAndDownloadsMultipartObjectByteIdentically()
    {
        RecordingHandler recorder = null;
        await using var endpoint = await TestEndpoint.StartAsync(o => o.ConfigureServices = (registry, _) =>
            registry.Add(recorder = new RecordingHandler(registry.Find("s3"))));
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("models");
        var data = TestEndpoint.RandomBytes(20 * MiB + 12345, seed: 1);

        var transfer = new TransferUtility(s3);
        await transfer.UploadAsync(new TransferUtilityUploadRequest
        {
            BucketName = "models", Key = "llama/model.safetensors", InputStream = new MemoryStream(data), PartSize = 5 * MiB,
        });

        var target = Path.Combine(endpoint.DataDirectory, "downloaded.bin");
        await transfer.DownloadAsync(new TransferUtilityDownloadRequest { BucketName = "models", Key = "llama/model.safetensors", FilePath = target });
        Assert.Equal(TestEndpoint.Sha256(data), TestEndpoint.Sha256(await File.ReadAllBytesAsync(target)));

        var head = await s3.GetObjectMetadataAsync("models", "llama/model.safetensors");
        Assert.Equal(data.Length, head.ContentLength);
        Assert.EndsWith("-5\"", head.ETag);
        var uploads = await s3.ListMultipartUploadsAsync("models");
        Assert.Empty(uploads.MultipartUploads ?? new List<MultipartUpload>());

        // The default settings really exercised chunked signing with a trailing checksum.
        var parts = recorder.Seen.Where(s => s.Operation == "UploadPart").ToList();
        Assert.Equal(5, parts.Count);
        Assert.All(parts, p => Assert.Equal("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", p.PayloadHash));
        Assert.All(parts, p => Assert.StartsWith("x-amz-checksum-", p.Trailer));
    }

    [Fact]
    public async Task PutObject_SignedChunksWithoutTrailer_StoresTheDecodedBody()
    {
        RecordingHandler recorder = null;
        await using var endpoint = await TestEndpoint.StartAsync(o => o.ConfigureServices = (registry, _) =>
            registry.Add(recorder = new RecordingHandler(registry.Find("s3"))));
        using var s3 = endpoint.S3(c => c.RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED);
        await s3.PutBucketAsync("bkt");
        var data = TestEndpoint.RandomBytes(200_000, seed: 9);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bkt", Key = "k", InputStream = new MemoryStream(data) });

        Assert.Equal("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", recorder.Seen.Single(s => s.Operation == "PutObject").PayloadHash);
        await using var stored = endpoint.Server.Context.S3.OpenRead("bkt", "k");
        var copy = new MemoryStream();
        await stored.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public async Task JavaScriptSdkStyleXIdQuery_RoutesToTheOperation()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");
        using var put = await endpoint.SendSignedAsync(HttpMethod.Put, "/bkt/k?x-id=PutObject", System.Text.Encoding.UTF8.GetBytes("js"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using var get = await endpoint.SendSignedAsync(HttpMethod.Get, "/bkt/k?x-id=GetObject");
        Assert.Equal("js", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GetObject_WithChecksumModeEnabled_IsValidatedBySdkAfterChunkedPut()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        var data = TestEndpoint.RandomBytes(300_000, seed: 2);
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "bkt", Key = "k", InputStream = new MemoryStream(data), ChecksumAlgorithm = ChecksumAlgorithm.CRC32C,
        });

        using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = "bkt", Key = "k", ChecksumMode = ChecksumMode.ENABLED });
        using var copy = new MemoryStream();
        await get.ResponseStream.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
        Assert.False(string.IsNullOrEmpty(get.ChecksumCRC32C));
    }

    [Fact]
    public async Task PutObject_WithoutChunkEncoding_StoresTheExactBody()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        var data = TestEndpoint.RandomBytes(70_000, seed: 3);
        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "bkt", Key = "dir/file name+x.bin", InputStream = new MemoryStream(data), UseChunkEncoding = false,
            ContentType = "application/x-test",
        });
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(data)) + "\"", put.ETag);

        using var get = await s3.GetObjectAsync("bkt", "dir/file name+x.bin");
        using var copy = new MemoryStream();
        await get.ResponseStream.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
        Assert.Equal("application/x-test", get.Headers.ContentType);

        const string unicodeKey = "models/ünïcödé ключ/100%~!$&'()*,;=:@.txt";
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bkt", Key = unicodeKey, ContentBody = "u" });
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bkt", Prefix = "models/" });
        Assert.Equal(unicodeKey, Assert.Single(listed.S3Objects).Key);
        using var unicode = await s3.GetObjectAsync("bkt", unicodeKey);
        Assert.Equal("u", await new StreamReader(unicode.ResponseStream).ReadToEndAsync());
    }

    [Fact]
    public async Task ListObjectsV2_GroupsByDelimiterAndPagesWithContinuationTokens()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        foreach (var key in new[] { "a/1", "a/2", "b/1", "c", "d", "e/x/y" })
            await endpoint.Server.Context.S3.PutObjectAsync("bkt", key, new MemoryStream(new byte[] { 1 }));

        var pages = new List<(List<string> Keys, List<string> Prefixes)>();
        string token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bkt", Delimiter = "/", MaxKeys = 2, ContinuationToken = token });
            pages.Add(((page.S3Objects ?? new()).Select(o => o.Key).ToList(), page.CommonPrefixes ?? new()));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);

        Assert.Equal(3, pages.Count);
        Assert.Equal(new[] { "a/", "b/" }, pages[0].Prefixes);
        Assert.Equal(new[] { "c", "d" }, pages[1].Keys);
        Assert.Equal(new[] { "e/" }, pages[2].Prefixes);

        var prefixed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bkt", Prefix = "a/" });
        Assert.Equal(new[] { "a/1", "a/2" }, prefixed.S3Objects.Select(o => o.Key));

        var after = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bkt", StartAfter = "c" });
        Assert.Equal(new[] { "d", "e/x/y" }, after.S3Objects.Select(o => o.Key));

        await endpoint.Server.Context.S3.PutObjectAsync("bkt", "sp ace&amp", new MemoryStream(new byte[] { 1 }));
        var encoded = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bkt", Prefix = "sp", Encoding = EncodingType.Url });
        var wireKey = Assert.Single(encoded.S3Objects).Key; // the .NET SDK leaves the decoding to the caller
        Assert.NotEqual("sp ace&amp", wireKey);
        Assert.Equal("sp ace&amp", Uri.UnescapeDataString(wireKey));
    }

    [Fact]
    public async Task GetObject_WithRange_ReturnsPartialContent()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        var data = TestEndpoint.RandomBytes(1000, seed: 4);
        await endpoint.Server.Context.S3.PutObjectAsync("bkt", "k", new MemoryStream(data));

        using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = "bkt", Key = "k", ByteRange = new ByteRange(10, 19) });
        using var copy = new MemoryStream();
        await get.ResponseStream.CopyToAsync(copy);
        Assert.Equal(HttpStatusCode.PartialContent, get.HttpStatusCode);
        Assert.Equal(data[10..20], copy.ToArray());
        Assert.Equal("bytes 10-19/1000", get.ContentRange);

        var beyond = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = "bkt", Key = "k", ByteRange = new ByteRange(5000, 6000) }));
        Assert.Equal("InvalidRange", beyond.ErrorCode);
    }

    [Fact]
    public async Task DeleteObjects_RemovesEveryListedKey()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        foreach (var key in new[] { "x", "y", "z", "keep" })
            await endpoint.Server.Context.S3.PutObjectAsync("bkt", key, new MemoryStream(new byte[] { 1 }));

        var result = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = "bkt", Objects = new List<KeyVersion> { new() { Key = "x" }, new() { Key = "y" }, new() { Key = "z" } },
        });
        Assert.Equal(3, result.DeletedObjects.Count);
        var left = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bkt" });
        Assert.Equal(new[] { "keep" }, left.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task Multipart_LowLevel_ListPartsCompleteAndEtagInDashNForm()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        var part1 = TestEndpoint.RandomBytes(5 * MiB, seed: 5);
        var part2 = TestEndpoint.RandomBytes(777, seed: 6);
        var upload = await s3.InitiateMultipartUploadAsync("bkt", "big");
        var etag1 = (await s3.UploadPartAsync(new UploadPartRequest { BucketName = "bkt", Key = "big", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(part1) })).ETag;
        var etag2 = (await s3.UploadPartAsync(new UploadPartRequest { BucketName = "bkt", Key = "big", UploadId = upload.UploadId, PartNumber = 2, InputStream = new MemoryStream(part2) })).ETag;

        var parts = await s3.ListPartsAsync(new ListPartsRequest { BucketName = "bkt", Key = "big", UploadId = upload.UploadId });
        Assert.Equal(new[] { 1, 2 }, parts.Parts.Select(p => p.PartNumber ?? 0));
        Assert.Equal(new long[] { part1.Length, part2.Length }, parts.Parts.Select(p => p.Size ?? 0));
        Assert.Equal(new[] { etag1, etag2 }, parts.Parts.Select(p => p.ETag));

        var complete = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "bkt", Key = "big", UploadId = upload.UploadId,
            PartETags = new List<PartETag> { new(1, etag1), new(2, etag2) },
        });
        var expected = Convert.ToHexStringLower(MD5.HashData(MD5.HashData(part1).Concat(MD5.HashData(part2)).ToArray()));
        Assert.Equal($"\"{expected}-2\"", complete.ETag);

        using var get = await s3.GetObjectAsync("bkt", "big");
        using var copy = new MemoryStream();
        await get.ResponseStream.CopyToAsync(copy);
        Assert.Equal(TestEndpoint.Sha256(part1.Concat(part2).ToArray()), TestEndpoint.Sha256(copy.ToArray()));
    }

    [Fact]
    public async Task Multipart_Complete_RejectsSmallNonLastPartsAndWrongOrder()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        var upload = await s3.InitiateMultipartUploadAsync("bkt", "k");
        var e1 = (await s3.UploadPartAsync(new UploadPartRequest { BucketName = "bkt", Key = "k", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(new byte[10]) })).ETag;
        var e2 = (await s3.UploadPartAsync(new UploadPartRequest { BucketName = "bkt", Key = "k", UploadId = upload.UploadId, PartNumber = 2, InputStream = new MemoryStream(new byte[11]) })).ETag;

        var tooSmall = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "bkt", Key = "k", UploadId = upload.UploadId, PartETags = new List<PartETag> { new(1, e1), new(2, e2) },
        }));
        Assert.Equal("EntityTooSmall", tooSmall.ErrorCode);

        var wrongEtag = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "bkt", Key = "k", UploadId = upload.UploadId, PartETags = new List<PartETag> { new(2, e1) },
        }));
        Assert.Equal("InvalidPart", wrongEtag.ErrorCode);
    }

    [Fact]
    public async Task Multipart_Abort_LeavesNoUploadBehind()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        var upload = await s3.InitiateMultipartUploadAsync("bkt", "k");
        await s3.UploadPartAsync(new UploadPartRequest { BucketName = "bkt", Key = "k", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(new byte[100]) });
        Assert.Single((await s3.ListMultipartUploadsAsync("bkt")).MultipartUploads);

        await s3.AbortMultipartUploadAsync("bkt", "k", upload.UploadId);

        Assert.Empty((await s3.ListMultipartUploadsAsync("bkt")).MultipartUploads ?? new List<MultipartUpload>());
        var gone = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.ListPartsAsync(new ListPartsRequest { BucketName = "bkt", Key = "k", UploadId = upload.UploadId }));
        Assert.Equal("NoSuchUpload", gone.ErrorCode);
    }

    [Fact]
    public async Task Errors_AreS3XmlWithCodes()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        var noBucket = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("missing", "k"));
        Assert.Equal("NoSuchBucket", noBucket.ErrorCode);
        await s3.PutBucketAsync("bkt");
        var noKey = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("bkt", "k"));
        Assert.Equal("NoSuchKey", noKey.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, noKey.StatusCode);
        var again = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAsync("bkt"));
        Assert.Equal("BucketAlreadyOwnedByYou", again.ErrorCode);
    }

    [Fact]
    public async Task CorruptedChecksumHeader_IsRejectedWithBadDigest()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        var data = TestEndpoint.RandomBytes(1000, seed: 7);
        var wrong = Convert.ToBase64String(new byte[] { 1, 2, 3, 4 });

        var plain = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "bkt", Key = "k", InputStream = new MemoryStream(data), ChecksumCRC32 = wrong, UseChunkEncoding = false,
        }));
        Assert.Equal("BadDigest", plain.ErrorCode);
        var chunked = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "bkt", Key = "k", InputStream = new MemoryStream(data), ChecksumSHA256 = Convert.ToBase64String(new byte[32]),
        }));
        Assert.Equal("BadDigest", chunked.ErrorCode);
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bkt" })).S3Objects ?? new List<S3Object>());
    }

    [Fact]
    public async Task Restart_WithSameDataDirectory_KeepsObjectsAndUploads()
    {
        var dir = TestEndpoint.NewDataDirectory();
        var data = TestEndpoint.RandomBytes(5 * MiB, seed: 8);
        string uploadId, etag1;
        await using (var first = await TestEndpoint.StartAsync(dataDirectory: dir))
        {
            using var s3 = first.S3();
            await s3.PutBucketAsync("bkt");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bkt", Key = "kept", ContentBody = "hello" });
            uploadId = (await s3.InitiateMultipartUploadAsync("bkt", "pending")).UploadId;
            etag1 = (await s3.UploadPartAsync(new UploadPartRequest { BucketName = "bkt", Key = "pending", UploadId = uploadId, PartNumber = 1, InputStream = new MemoryStream(data) })).ETag;
        }

        await using (var second = await TestEndpoint.StartAsync(dataDirectory: dir))
        {
            using var s3 = second.S3();
            using (var get = await s3.GetObjectAsync("bkt", "kept"))
                Assert.Equal("hello", await new StreamReader(get.ResponseStream).ReadToEndAsync());
            var uploads = await s3.ListMultipartUploadsAsync("bkt");
            Assert.Equal(uploadId, Assert.Single(uploads.MultipartUploads).UploadId);
            var etag2 = (await s3.UploadPartAsync(new UploadPartRequest { BucketName = "bkt", Key = "pending", UploadId = uploadId, PartNumber = 2, InputStream = new MemoryStream(new byte[] { 9 }) })).ETag;
            await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = "bkt", Key = "pending", UploadId = uploadId, PartETags = new List<PartETag> { new(1, etag1), new(2, etag2) },
            });
            Assert.Equal(data.Length + 1, (await s3.GetObjectMetadataAsync("bkt", "pending")).ContentLength);
        }
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task StoreApi_ListsAndReadsObjectsForOtherServices()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bkt", Key = "model/config.json", ContentBody = "{}" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bkt", Key = "model/tokenizer.json", ContentBody = "{\"v\":1}" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bkt", Key = "other", ContentBody = "x" });

        var store = endpoint.Server.Context.S3;
        var listed = store.List("bkt", "model/");
        Assert.Equal(new[] { "model/config.json", "model/tokenizer.json" }, listed.Select(o => o.Key));
        Assert.Equal(7, listed[1].Size);
        await using var stream = store.OpenRead("bkt", "model/tokenizer.json");
        stream.Seek(2, SeekOrigin.Begin);
        Assert.Equal("v\":1}", await new StreamReader(stream).ReadToEndAsync());
    }
}

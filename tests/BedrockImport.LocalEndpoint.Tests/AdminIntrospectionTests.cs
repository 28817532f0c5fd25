using System.Net;
using System.Text.Json;
using Amazon.S3.Model;

namespace BedrockImport.LocalEndpoint.Tests;

public sealed class AdminIntrospectionTests
{
    [Fact]
    public async Task MultipartUploads_ListsEveryOpenUploadOfEveryBucket()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("alpha");
        await s3.PutBucketAsync("beta");
        var open1 = await s3.InitiateMultipartUploadAsync("alpha", "models/a.bin");
        var aborted = await s3.InitiateMultipartUploadAsync("alpha", "models/b.bin");
        var open2 = await s3.InitiateMultipartUploadAsync("beta", "c.bin");
        var completed = await s3.InitiateMultipartUploadAsync("beta", "d.bin");
        await s3.AbortMultipartUploadAsync("alpha", "models/b.bin", aborted.UploadId);
        var part = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = "beta", Key = "d.bin", UploadId = completed.UploadId, PartNumber = 1, InputStream = new MemoryStream(new byte[] { 1, 2, 3 }),
        });
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "beta", Key = "d.bin", UploadId = completed.UploadId, PartETags = new List<PartETag> { new PartETag(1, part.ETag) },
        });

        var uploads = await GetJsonAsync(endpoint, "/_admin/s3/multipart-uploads", "uploads");

        Assert.Equal(
            new[] { ("alpha", "models/a.bin", open1.UploadId), ("beta", "c.bin", open2.UploadId) },
            uploads.Select(u => (u.GetProperty("bucket").GetString(), u.GetProperty("key").GetString(), u.GetProperty("uploadId").GetString())));
        foreach (var upload in uploads)
            Assert.True(DateTimeOffset.TryParse(upload.GetProperty("initiated").GetString(), out _));

        await s3.AbortMultipartUploadAsync("alpha", "models/a.bin", open1.UploadId);
        await s3.AbortMultipartUploadAsync("beta", "c.bin", open2.UploadId);
        Assert.Empty(await GetJsonAsync(endpoint, "/_admin/s3/multipart-uploads", "uploads"));
    }

    [Fact]
    public async Task Objects_ReportsSizeETagAndSha256OfTheStoredBytesUnderAPrefix()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        var small = TestEndpoint.RandomBytes(1000, seed: 1);
        var large = TestEndpoint.RandomBytes(5 * 1024 * 1024 + 17, seed: 2);
        var smallPut = await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bkt", Key = "model/a.json", InputStream = new MemoryStream(small) });
        var largeEtag = await UploadInTwoPartsAsync(s3, "bkt", "model/b.safetensors", large);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bkt", Key = "other/c.txt", ContentBody = "elsewhere" });

        var objects = await GetJsonAsync(endpoint, "/_admin/s3/objects?bucket=bkt&prefix=model/", "objects");

        Assert.Equal(2, objects.Count);
        Assert.Equal("model/a.json", objects[0].GetProperty("key").GetString());
        Assert.Equal(small.Length, objects[0].GetProperty("size").GetInt64());
        Assert.Equal(smallPut.ETag, objects[0].GetProperty("etag").GetString());
        Assert.Equal(TestEndpoint.Sha256(small).ToLowerInvariant(), objects[0].GetProperty("sha256").GetString());
        Assert.Equal("model/b.safetensors", objects[1].GetProperty("key").GetString());
        Assert.Equal(large.Length, objects[1].GetProperty("size").GetInt64());
        Assert.Equal(largeEtag, objects[1].GetProperty("etag").GetString());
        Assert.EndsWith("-2\"", largeEtag);
        Assert.Equal(TestEndpoint.Sha256(large).ToLowerInvariant(), objects[1].GetProperty("sha256").GetString());

        var all = await GetJsonAsync(endpoint, "/_admin/s3/objects?bucket=bkt", "objects");
        Assert.Equal(new[] { "model/a.json", "model/b.safetensors", "other/c.txt" }, all.Select(o => o.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task Objects_ChangedOnDisk_ShowADifferentSha256()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");
        await endpoint.Server.Context.S3.PutObjectAsync("bkt", "k", new MemoryStream(new byte[] { 1, 2, 3 }));
        var before = (await GetJsonAsync(endpoint, "/_admin/s3/objects?bucket=bkt", "objects")).Single().GetProperty("sha256").GetString();

        // Same size, different bytes: only a hash of the stored file can tell.
        await File.WriteAllBytesAsync(endpoint.Server.Context.S3.DataPath("bkt", "k"), new byte[] { 1, 2, 4 });
        var after = (await GetJsonAsync(endpoint, "/_admin/s3/objects?bucket=bkt", "objects")).Single().GetProperty("sha256").GetString();

        Assert.Equal(TestEndpoint.Sha256(new byte[] { 1, 2, 3 }).ToLowerInvariant(), before);
        Assert.Equal(TestEndpoint.Sha256(new byte[] { 1, 2, 4 }).ToLowerInvariant(), after);
    }

    [Fact]
    public async Task Objects_WithoutOrWithAnUnknownBucket_AreClientErrors()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var missing = await endpoint.Http.GetAsync("/_admin/s3/objects");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("bucket=", await missing.Content.ReadAsStringAsync());

        using var unknown = await endpoint.Http.GetAsync("/_admin/s3/objects?bucket=nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("nope", await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UnknownAdminRoute_NamesTheIntrospectionRoutes()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var response = await endpoint.Http.GetAsync("/_admin/s3");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("/_admin/s3/multipart-uploads", text);
        Assert.Contains("/_admin/s3/objects", text);
    }

    private static async Task<string> UploadInTwoPartsAsync(Amazon.S3.IAmazonS3 s3, string bucket, string key, byte[] data)
    {
        const int firstPart = 5 * 1024 * 1024;
        var upload = await s3.InitiateMultipartUploadAsync(bucket, key);
        var etags = new List<PartETag>();
        for (var part = 1; part <= 2; part++)
        {
            var offset = part == 1 ? 0 : firstPart;
            var length = part == 1 ? firstPart : data.Length - firstPart;
            var response = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket, Key = key, UploadId = upload.UploadId, PartNumber = part,
                InputStream = new MemoryStream(data, offset, length),
            });
            etags.Add(new PartETag(part, response.ETag));
        }
        var completed = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = etags,
        });
        return completed.ETag;
    }

    private static async Task<List<JsonElement>> GetJsonAsync(TestEndpoint endpoint, string path, string member)
    {
        using var response = await endpoint.Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty(member).EnumerateArray().Select(e => e.Clone()).ToList();
    }
}

using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Tests.Credentials;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;
using BedrockImport.LocalEndpoint.Knobs;

namespace BedrockImport.Engine.Tests.Transfer;

public class ModelUploaderTests
{
    private const long MiB = LocalS3.MiB;

    private static void WriteModel(LocalS3 s3)
    {
        s3.WriteFile("config.json", 700, seed: 1);
        s3.WriteFile("tokenizer.json", 3 * MiB + 17, seed: 2);
        s3.WriteFile("model.safetensors", 12 * MiB + 5, seed: 3); // 3 parts of 5 MiB
        s3.WriteFile("sub/empty.txt", 0, seed: 4);
    }

    [Fact]
    public async Task Uploads_every_file_byte_identical_with_one_multipart_and_checksums()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteModel(s3);
        var request = s3.Request();
        request.PartSizeBytes = 5 * MiB;
        request.Concurrency = 4;
        var progress = new InlineProgress(null);

        var result = await new ModelUploader().UploadAsync(request, progress, CancellationToken.None);

        Assert.Equal("s3://models/llama/", result.S3Uri);
        Assert.Equal(4, result.Files);
        Assert.Equal(0, result.Skipped);
        var total = 700 + 3 * MiB + 17 + 12 * MiB + 5;
        Assert.Equal(total, result.Bytes);
        Assert.Equal(total, result.Uploaded);
        foreach (var relative in new[] { "config.json", "tokenizer.json", "model.safetensors", "sub/empty.txt" })
        {
            Assert.Equal(LocalS3.Sha256OfFile(Path.Combine(s3.Folder, relative)), await s3.Sha256OfObjectAsync("llama/" + relative));
        }

        var model = result.Details.Single(d => d.RelativePath == "model.safetensors");
        Assert.Equal(3, model.Parts);
        Assert.Equal("s3://models/llama/model.safetensors", model.S3Uri);
        using var client = s3.Client();
        var head = await client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = LocalS3.Bucket, Key = "llama/model.safetensors", ChecksumMode = ChecksumMode.ENABLED });
        Assert.EndsWith("-3", head.ChecksumSHA256);
        Assert.Equal((5 * MiB).ToString(), head.Metadata[ModelUploader.PartSizeMetadataKey]);
        Assert.Empty(await s3.ListUploadsAsync());

        var last = progress.Reports.Last();
        Assert.Equal(total, last.BytesTransferred);
        Assert.Equal(4, last.FilesDone);
        Assert.Equal(100, last.PercentComplete);
        Assert.True(last.BytesPerSecond > 0);
        Assert.Equal(TimeSpan.Zero, last.Remaining);
        Assert.Empty(last.CurrentFiles);
        Assert.Contains("Invoking Amazon S3 operation 'UploadPart' on 's3://models/llama/model.safetensors'", ((RecordingLog)request.Log).All);
    }

    [Fact]
    public async Task A_rerun_skips_everything_already_uploaded()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteModel(s3);
        var first = s3.Request();
        first.PartSizeBytes = 5 * MiB;
        await new ModelUploader().UploadAsync(first, null, CancellationToken.None);

        var partsBefore = s3.Server.Context.Stats.For("s3", "UploadPart").Calls;
        var putsBefore = s3.Server.Context.Stats.For("s3", "PutObject").Calls;

        // The part size of the rerun differs: the skip check uses the part size recorded with the object.
        var progress = new InlineProgress(null);
        var result = await new ModelUploader().UploadAsync(s3.Request(), progress, CancellationToken.None);

        Assert.Equal(4, result.Skipped);
        Assert.Contains(progress.Reports, p => p.Stage == "Checking" && p.FilesDone == 4 && p.BytesTransferred == result.Bytes && p.BytesChecked == result.Bytes);
        Assert.All(progress.Reports, p => Assert.Equal(0, p.BytesUploaded));
        Assert.Equal(0, result.Uploaded);
        Assert.All(result.Details, d => Assert.Equal(UploadedFileAction.Skipped, d.Action));
        Assert.Equal(partsBefore, s3.Server.Context.Stats.For("s3", "UploadPart").Calls);
        Assert.Equal(putsBefore, s3.Server.Context.Stats.For("s3", "PutObject").Calls);
    }

    [Fact]
    public async Task A_changed_file_of_the_same_size_is_uploaded_again()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteModel(s3);
        var request = s3.Request();
        request.PartSizeBytes = 5 * MiB;
        await new ModelUploader().UploadAsync(request, null, CancellationToken.None);
        var changed = s3.WriteFile("model.safetensors", 12 * MiB + 5, seed: 99);
        s3.WriteFile("config.json", 700, seed: 98);

        var rerun = s3.Request();
        rerun.PartSizeBytes = 5 * MiB;
        var result = await new ModelUploader().UploadAsync(rerun, null, CancellationToken.None);

        Assert.Equal(2, result.Skipped);
        Assert.Equal(12 * MiB + 5 + 700, result.Uploaded);
        Assert.Equal(LocalS3.Sha256OfFile(changed), await s3.Sha256OfObjectAsync("llama/model.safetensors"));
    }

    [Fact]
    public async Task Cancelling_aborts_the_open_multipart_upload_and_a_rerun_sends_only_what_is_missing()
    {
        await using var s3 = await LocalS3.StartAsync();
        s3.WriteFile("a.json", 1000, seed: 1);
        s3.WriteFile("b.safetensors", 16 * MiB, seed: 2);
        s3.WriteFile("c.safetensors", 11 * MiB, seed: 3);
        // Progress is reported at most every 100 ms: each part must take longer, or all of b.safetensors goes up (and is
        // completed) before the report that cancels.
        s3.Server.Knobs.Set(new Knobs { LatencyMs = new Dictionary<string, int> { ["s3:UploadPart"] = 150 } });
        using var cancel = new CancellationTokenSource();
        var request = s3.Request();
        request.PartSizeBytes = 5 * MiB;
        request.Concurrency = 1;
        // a.json is done, then cancel as soon as the first part of b.safetensors is in.
        var progress = new InlineProgress(p =>
        {
            if (p.BytesUploaded >= 1000 + 5 * MiB)
            {
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ModelUploader().UploadAsync(request, progress, cancel.Token));

        Assert.Empty(await s3.ListUploadsAsync());
        Assert.Equal(1, s3.Server.Context.Stats.For("s3", "AbortMultipartUpload").Calls);
        var rerun = s3.Request();
        rerun.PartSizeBytes = 5 * MiB;
        var result = await new ModelUploader().UploadAsync(rerun, null, CancellationToken.None);
        Assert.Equal(1, result.Skipped);
        Assert.Equal(27 * MiB, result.Uploaded);
        Assert.Equal(LocalS3.Sha256OfFile(Path.Combine(s3.Folder, "b.safetensors")), await s3.Sha256OfObjectAsync("llama/b.safetensors"));
        Assert.Empty(await s3.ListUploadsAsync());
    }

    [Fact]
    public async Task An_upload_left_by_a_killed_process_is_resumed_reusing_its_matching_parts()
    {
        await using var s3 = await LocalS3.StartAsync();
        var path = s3.WriteFile("model.safetensors", 17 * MiB, seed: 5);
        var data = await File.ReadAllBytesAsync(path);
        await LeaveInterruptedUploadAsync(s3, "llama/model.safetensors", data, (1, 0, 5 * MiB), (3, 10 * MiB, 5 * MiB));

        var request = s3.Request();
        request.PartSizeBytes = 5 * MiB;
        var result = await new ModelUploader().UploadAsync(request, null, CancellationToken.None);

        Assert.Equal(7 * MiB, result.Uploaded); // parts 2 (5 MiB) and 4 (2 MiB)
        Assert.Equal(2, s3.Server.Context.Stats.For("s3", "UploadPart").Calls - 2);
        Assert.Equal(LocalS3.Sha256OfFile(path), await s3.Sha256OfObjectAsync("llama/model.safetensors"));
        Assert.Empty(await s3.ListUploadsAsync());
    }

    [Fact]
    public async Task An_interrupted_upload_with_another_part_layout_is_aborted_and_the_file_sent_again()
    {
        await using var s3 = await LocalS3.StartAsync();
        var path = s3.WriteFile("model.safetensors", 17 * MiB, seed: 5);
        var data = await File.ReadAllBytesAsync(path);
        await LeaveInterruptedUploadAsync(s3, "llama/model.safetensors", data, (1, 0, 6 * MiB));

        var request = s3.Request();
        request.PartSizeBytes = 5 * MiB;
        var result = await new ModelUploader().UploadAsync(request, null, CancellationToken.None);

        Assert.Equal(17 * MiB, result.Uploaded);
        Assert.Equal(LocalS3.Sha256OfFile(path), await s3.Sha256OfObjectAsync("llama/model.safetensors"));
        Assert.Empty(await s3.ListUploadsAsync());
    }

    [Fact]
    public async Task Failing_parts_are_retried_and_the_objects_are_identical()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteModel(s3);
        s3.WriteFile("model-2.safetensors", 26 * MiB, seed: 8);
        s3.Server.Knobs.Set(new Knobs
        {
            Seed = 42,
            // 30 % of the parts fail, and 20 % of every other S3 call (CreateMultipartUpload, HeadObject, Complete, ...).
            InternalErrorRate = new Dictionary<string, double> { ["s3:UploadPart"] = 0.3, ["s3"] = 0.2 },
            ThrottleRate = new Dictionary<string, double> { ["s3:PutObject"] = 0.3 },
            DropConnectionRate = new Dictionary<string, double> { ["s3:UploadPart"] = 0.1 },
        });
        var request = s3.Request();
        request.PartSizeBytes = 5 * MiB;
        request.Retry = LocalS3.FastRetry(maxAttempts: 20);

        var result = await new ModelUploader().UploadAsync(request, null, CancellationToken.None);

        Assert.True(s3.Server.Context.Stats.For("s3", "UploadPart").InternalErrors > 0, "the fault knob injected no UploadPart failure");
        Assert.True(s3.Server.Context.Stats.For("s3", "HeadObject").InternalErrors > 0, "the fault knob injected no HeadObject failure");
        Assert.Equal(result.Bytes, result.Uploaded);
        s3.Server.Knobs.Set(new Knobs());
        foreach (var detail in result.Details)
        {
            Assert.Equal(LocalS3.Sha256OfFile(Path.Combine(s3.Folder, detail.RelativePath)), await s3.Sha256OfObjectAsync("llama/" + detail.RelativePath));
        }

        Assert.Matches(@"Retrying UploadPart on 's3://models/llama/model(-2)?\.safetensors part \d+' after", ((RecordingLog)request.Log).All);
        Assert.Empty(await s3.ListUploadsAsync());
    }

    [Fact]
    public async Task A_part_failing_beyond_the_retry_budget_fails_the_copy_and_aborts_its_uploads()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteModel(s3);
        s3.Server.Knobs.Set(new Knobs { InternalErrorRate = new Dictionary<string, double> { ["s3:UploadPart"] = 1.0 } });
        var request = s3.Request();
        request.PartSizeBytes = 5 * MiB;
        request.Retry = LocalS3.FastRetry(maxAttempts: 2);

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => new ModelUploader().UploadAsync(request, null, CancellationToken.None));

        Assert.Equal("InternalError", error.ErrorCode);
        Assert.Equal(500, error.StatusCode);
        Assert.Empty(await s3.ListUploadsAsync());
    }

    [Fact]
    public async Task Errors_that_are_not_transient_are_not_retried()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteModel(s3);
        var wrongKey = LocalS3.SessionFor(s3.Server.BaseUrl.ToString(), s3.Server.AccessKeyId, "not-the-secret");
        var request = s3.Request(session: wrongKey);

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => new ModelUploader().UploadAsync(request, null, CancellationToken.None));

        Assert.Equal("SignatureDoesNotMatch", error.ErrorCode);
        Assert.Equal(403, error.StatusCode);
        Assert.DoesNotContain("not-the-secret", error.Message);
        Assert.DoesNotContain("Retrying", ((RecordingLog)request.Log).All);

        var missingBucket = new UploadRequest(new LocalFolderSource(s3.Folder), S3Uri.Parse("s3://no-such-bucket/x/"), s3.Session) { Retry = LocalS3.FastRetry() };
        var notFound = await Assert.ThrowsAsync<AwsServiceException>(() => new ModelUploader().UploadAsync(missingBucket, null, CancellationToken.None));
        Assert.Equal(404, notFound.StatusCode);
    }

    [Fact]
    public async Task Sends_sse_kms_and_a_sha256_checksum_on_every_upload_request()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteModel(s3);
        using var relay = new RecordingRelay(s3.Server.BaseUrl);
        var session = LocalS3.SessionFor(relay.Url, s3.Server.AccessKeyId, s3.Server.SecretAccessKey);
        var request = s3.Request(session: session);
        request.PartSizeBytes = 5 * MiB;
        request.KmsKeyId = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

        await new ModelUploader().UploadAsync(request, null, CancellationToken.None);

        var heads = relay.RequestHeads();
        var puts = heads.Where(h => h.StartsWith("PUT /models/llama/", StringComparison.Ordinal) && !h.Contains("uploadId=")).ToList();
        var creates = heads.Where(h => h.StartsWith("POST /models/llama/", StringComparison.Ordinal) && h.Contains("?uploads")).ToList();
        var parts = heads.Where(h => h.StartsWith("PUT /models/llama/", StringComparison.Ordinal) && h.Contains("uploadId=")).ToList();
        Assert.Equal(3, puts.Count);
        Assert.Single(creates);
        Assert.Equal(3, parts.Count);
        foreach (var head in puts.Concat(creates))
        {
            Assert.Contains("x-amz-server-side-encryption: aws:kms", head, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("x-amz-server-side-encryption-aws-kms-key-id: " + request.KmsKeyId, head, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var head in puts.Concat(parts))
        {
            Assert.Contains("x-amz-checksum-sha256: ", head, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains("x-amz-checksum-algorithm: SHA256", creates[0], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_part_corrupted_on_its_way_to_s3_is_refused_and_no_object_is_completed()
    {
        // The signer signs the part with the SHA-256 of its x-amz-checksum-sha256 header (it does not hash the body again);
        // S3 checks the body it receives against that payload hash, so a byte changed in flight is still refused.
        await using var s3 = await LocalS3.StartAsync();
        WriteModel(s3);
        using var relay = new RecordingRelay(s3.Server.BaseUrl, corruptOnePart: true);
        var request = s3.Request(session: LocalS3.SessionFor(relay.Url, s3.Server.AccessKeyId, s3.Server.SecretAccessKey));
        request.PartSizeBytes = 5 * MiB;
        request.Concurrency = 1;

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => new ModelUploader().UploadAsync(request, null, CancellationToken.None));

        Assert.True(relay.Corrupted);
        Assert.Contains(refused.ErrorCode, new[] { "XAmzContentSHA256Mismatch", "BadDigest" });
        var parts = relay.RequestHeads().Where(h => h.StartsWith("PUT /models/llama/model.safetensors?", StringComparison.Ordinal) && h.Contains("uploadId=")).ToList();
        Assert.NotEmpty(parts);
        var part = parts[0];
        var checksum = System.Text.RegularExpressions.Regex.Match(part, @"x-amz-checksum-sha256: (\S+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase).Groups[1].Value;
        var payloadHash = System.Text.RegularExpressions.Regex.Match(part, @"x-amz-content-sha256: (\S+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase).Groups[1].Value;
        Assert.Equal(Convert.ToHexString(Convert.FromBase64String(checksum)), payloadHash, ignoreCase: true);
        Assert.Empty(await s3.ListUploadsAsync());
        using var client = s3.Client();
        var listed = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = LocalS3.Bucket, Prefix = "llama/model.safetensors" });
        Assert.Empty(listed.S3Objects ?? new List<S3Object>());
    }

    [Fact]
    public async Task Without_a_kms_key_no_encryption_header_is_sent_and_the_bucket_default_applies()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteModel(s3);
        using var relay = new RecordingRelay(s3.Server.BaseUrl);
        var request = s3.Request(session: LocalS3.SessionFor(relay.Url, s3.Server.AccessKeyId, s3.Server.SecretAccessKey));
        request.PartSizeBytes = 5 * MiB;

        await new ModelUploader().UploadAsync(request, null, CancellationToken.None);

        var writes = relay.RequestHeads().Where(h => h.StartsWith("PUT /models/llama/", StringComparison.Ordinal) || h.StartsWith("POST /models/llama/", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, writes.Count); // 3 PutObject, CreateMultipartUpload, 3 UploadPart, CompleteMultipartUpload
        Assert.All(writes, head => Assert.DoesNotContain("x-amz-server-side-encryption", head, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Hidden_files_are_left_out_and_a_file_filter_replaces_that_default()
    {
        await using var s3 = await LocalS3.StartAsync();
        s3.WriteFile("config.json", 10);
        s3.WriteFile("sub/dir/tokenizer.json", 30);
        s3.WriteFile(".gitattributes", 1);
        s3.WriteFile(".git/HEAD", 1);
        s3.WriteFile(".cache/huggingface/download/x.lock", 1);
        s3.WriteFile("sub/.hidden", 1);

        var byDefault = await new ModelUploader().UploadAsync(s3.Request("default/"), null, CancellationToken.None);
        var filtered = s3.Request("filtered/");
        filtered.FileFilter = path => path.EndsWith(".json", StringComparison.Ordinal) || path == ".gitattributes";
        var byFilter = await new ModelUploader().UploadAsync(filtered, null, CancellationToken.None);

        Assert.Equal(new[] { "config.json", "sub/dir/tokenizer.json" }, byDefault.Details.Select(d => d.RelativePath));
        Assert.Equal(new[] { ".gitattributes", "config.json", "sub/dir/tokenizer.json" }, byFilter.Details.Select(d => d.RelativePath));
        using var client = s3.Client();
        var listed = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = LocalS3.Bucket, Prefix = "default/" });
        Assert.Equal(new[] { "default/config.json", "default/sub/dir/tokenizer.json" }, listed.S3Objects.Select(o => o.Key));
    }

    /// <summary>What a killed process leaves: a multipart upload of key holding the given parts (number, offset, size) of data.</summary>
    private static async Task LeaveInterruptedUploadAsync(LocalS3 s3, string key, byte[] data, params (int Number, long Offset, long Size)[] parts)
    {
        using var client = s3.Client();
        var created = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = LocalS3.Bucket, Key = key, ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
        });
        foreach (var (number, offset, size) in parts)
        {
            var slice = data.AsMemory((int)offset, (int)size).ToArray();
            await client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = LocalS3.Bucket, Key = key, UploadId = created.UploadId, PartNumber = number,
                InputStream = new MemoryStream(slice), ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
                ChecksumSHA256 = Convert.ToBase64String(SHA256.HashData(slice)), UseChunkEncoding = false,
            });
        }
    }
}

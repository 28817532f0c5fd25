using System.Net;
using Amazon.S3.Model;
using BedrockImport.Engine.Hub;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Tests.Credentials;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Transfer;

/// <summary>ModelUploader with a Hub repository as the source: the in-process endpoint serves both the Hub mirror and S3.</summary>
public class HubUploadTests
{
    private const long MiB = LocalS3.MiB;
    private const string Repo = "acme/tiny-llama";

    private static string RepoFolder(LocalS3 s3, string repo = Repo)
        => Path.Combine(s3.Root, "endpoint", "hub", repo.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Two shards of about 6 MiB each: 2 parts of 5 MiB per shard, small JSON files as single PutObjects.</summary>
    private static SyntheticModelInfo WriteRepo(LocalS3 s3, string repo = Repo, string settingsJson = null)
    {
        var info = SyntheticModel.Write(RepoFolder(s3, repo), new SyntheticModelOptions { ShardCount = 2, TargetTotalBytes = 12 * MiB });
        if (settingsJson != null)
        {
            File.WriteAllText(Path.Combine(RepoFolder(s3, repo), ".hub.json"), settingsJson);
        }

        return info;
    }

    private static HubClient Client(LocalS3 s3, HttpMessageHandler handler = null, string token = null)
        => new(new HubClientOptions { Endpoint = s3.Server.BaseUrl, Token = token, Environment = new FakeEnvironment() },
            new RetryPolicy(LocalS3.FastRetry(), null), handler);

    private static UploadRequest Request(LocalS3 s3, HubClient client, string repo = Repo)
        => new(new HubRepositorySource(client, repo), S3Uri.Parse($"s3://{LocalS3.Bucket}/hub/"), s3.Session)
        {
            PartSizeBytes = 5 * MiB,
            Concurrency = 4,
            Retry = LocalS3.FastRetry(),
            Log = new Wire.RecordingLog(),
        };

    private static IEnumerable<string> RepoFiles(LocalS3 s3, string repo = Repo)
    {
        var root = RepoFolder(s3, repo);
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(ModelSourceFile.IsVisible)
            .OrderBy(f => f, StringComparer.Ordinal);
    }

    [Fact]
    public async Task Copies_every_file_byte_identical_with_the_commit_and_lfs_sha256_in_the_metadata()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteRepo(s3);
        using var client = Client(s3);
        var request = Request(s3, client);

        var result = await new ModelUploader().UploadAsync(request, null, CancellationToken.None);

        var files = RepoFiles(s3).ToList();
        Assert.Equal(files, result.Details.Select(d => d.RelativePath).OrderBy(p => p, StringComparer.Ordinal));
        Assert.Equal(0, result.Skipped);
        Assert.Equal(result.Bytes, result.Uploaded);
        foreach (var relative in files)
        {
            Assert.Equal(LocalS3.Sha256OfFile(Path.Combine(RepoFolder(s3), relative)), await s3.Sha256OfObjectAsync("hub/" + relative));
        }

        Assert.Contains(result.Details, d => d.Parts > 1);
        var revision = ((HubRepositorySource)request.Source).Revision!;
        using var s3Client = s3.Client();
        foreach (var file in revision.Files.Where(f => ModelSourceFile.IsVisible(f.Path)))
        {
            var head = await s3Client.GetObjectMetadataAsync(LocalS3.Bucket, "hub/" + file.Path);
            Assert.Equal(revision.Sha, head.Metadata[UploadMetadata.HubCommit]);
            Assert.Equal(file.BlobId, head.Metadata[UploadMetadata.HubBlobId]);
            Assert.Equal(file.Sha256, string.IsNullOrEmpty(head.Metadata[UploadMetadata.Sha256]) ? null : head.Metadata[UploadMetadata.Sha256]);
        }

        Assert.Contains(revision.Files, f => f.IsLfs);
        Assert.Empty(await s3.ListUploadsAsync());
        // Every byte came from the Hub mirror with ranged GETs (the Range header on every /resolve and CDN read).
        var reads = s3.Server.Hub.Traffic.Records.Where(r => r.Method == "GET" && (r.Operation == "Resolve" || r.Operation == "Cdn") && r.Status is 200 or 206).ToList();
        Assert.All(reads, r => Assert.NotNull(r.Range));
    }

    [Fact]
    public async Task A_hub_source_is_remote_and_lists_every_file_with_its_content_hash_and_the_commit_metadata()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteRepo(s3);
        using var client = Client(s3);
        var source = new HubRepositorySource(client, Repo);

        var files = await source.ListFilesAsync(CancellationToken.None);

        Assert.NotEmpty(files);
        Assert.False(source.IsLocal);
        var revision = source.Revision!;
        Assert.Equal(revision.Files.Select(f => f.Path), files.Select(f => f.Path));
        Assert.All(files, f =>
        {
            Assert.NotNull(f.GitBlobId);
            Assert.Equal(Repo, f.Metadata[UploadMetadata.HubRepository]);
            Assert.Equal(revision.Sha, f.Metadata[UploadMetadata.HubCommit]);
            Assert.Equal(f.GitBlobId, f.Metadata[UploadMetadata.HubBlobId]);
            Assert.Equal(f.Sha256, f.Metadata.TryGetValue(UploadMetadata.Sha256, out var sha256) ? sha256 : null);
        });
        Assert.Contains(files, f => f.Sha256 != null);
    }

    [Fact]
    public async Task A_rerun_skips_everything_without_reading_a_byte_from_the_hub()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteRepo(s3);
        using var client = Client(s3);
        await new ModelUploader().UploadAsync(Request(s3, client), null, CancellationToken.None);
        s3.Server.Hub.Traffic.Reset();

        var result = await new ModelUploader().UploadAsync(Request(s3, client), null, CancellationToken.None);

        Assert.Equal(result.Files, result.Skipped);
        Assert.Equal(0, result.Uploaded);
        Assert.All(result.Details, d => Assert.Equal(UploadedFileAction.Skipped, d.Action));
        Assert.DoesNotContain(s3.Server.Hub.Traffic.Records, r => r.Operation == "Resolve" || r.Operation == "Cdn");
    }

    [Fact]
    public async Task A_changed_file_is_copied_again_and_the_others_are_skipped()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteRepo(s3);
        using var client = Client(s3);
        await new ModelUploader().UploadAsync(Request(s3, client), null, CancellationToken.None);

        // Same size, other bytes: an LFS file (new sha256) and a small file (new git blob id).
        var shard = RepoFiles(s3).First(f => f.EndsWith(".safetensors", StringComparison.Ordinal) && f != "model.safetensors.index.json");
        FlipLastByte(Path.Combine(RepoFolder(s3), shard));
        var config = Path.Combine(RepoFolder(s3), "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("llama", "LLAMA"));

        var result = await new ModelUploader().UploadAsync(Request(s3, client), null, CancellationToken.None);

        Assert.Equal(new[] { "config.json", shard }.OrderBy(p => p, StringComparer.Ordinal),
            result.Details.Where(d => d.Action == UploadedFileAction.Uploaded).Select(d => d.RelativePath).OrderBy(p => p, StringComparer.Ordinal));
        Assert.Equal(result.Files - 2, result.Skipped);
        Assert.Equal(LocalS3.Sha256OfFile(Path.Combine(RepoFolder(s3), shard)), await s3.Sha256OfObjectAsync("hub/" + shard));
        Assert.Equal(LocalS3.Sha256OfFile(config), await s3.Sha256OfObjectAsync("hub/config.json"));
    }

    [Fact]
    public async Task A_hub_answer_cut_off_mid_part_is_retried_by_reopening_the_range()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteRepo(s3);
        var cutter = new CuttingHandler(failures: 3, afterBytes: 1024 * 1024);
        using var client = Client(s3, cutter);
        var request = Request(s3, client);

        var result = await new ModelUploader().UploadAsync(request, null, CancellationToken.None);

        Assert.Equal(3, cutter.Cut);
        foreach (var relative in RepoFiles(s3))
        {
            Assert.Equal(LocalS3.Sha256OfFile(Path.Combine(RepoFolder(s3), relative)), await s3.Sha256OfObjectAsync("hub/" + relative));
        }

        // Each cut part was asked for again: more ranged GETs of 5 MiB than parts of 5 MiB.
        var fullParts = result.Details.Sum(d => d.Parts > 1 ? (int)(d.Size / (5 * MiB)) : 0);
        Assert.True(cutter.FullPartRequests >= fullParts + 3, $"{cutter.FullPartRequests} ranged GETs of whole parts for {fullParts} parts");
        Assert.Empty(await s3.ListUploadsAsync());
    }

    [Fact]
    public async Task Cancelling_a_hub_copy_leaves_no_multipart_upload()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteRepo(s3);
        using var cancel = new CancellationTokenSource();
        // One part at a time: when the second part of the first shard is asked for, the first is in its multipart upload.
        using var client = Client(s3, new CallbackHandler(request =>
        {
            if (request.Headers.Range?.Ranges.First().From == 5 * MiB)
            {
                cancel.Cancel();
            }
        }));
        var request = Request(s3, client);
        request.Concurrency = 1;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ModelUploader().UploadAsync(request, null, cancel.Token));

        Assert.Empty(await s3.ListUploadsAsync());
        Assert.Equal(1, s3.Server.Context.Stats.For("s3", "AbortMultipartUpload").Calls);
        Assert.Equal(1, s3.Server.Context.Stats.For("s3", "UploadPart").Calls);
    }

    [Theory]
    [InlineData(16)] // every file is one PutObject: the part's digest is the file's
    [InlineData(5)]  // the shards are multipart: their parts are hashed in order
    public async Task Bytes_that_do_not_match_the_lfs_sha256_fail_the_copy_and_no_shard_object_is_created(int partSizeMiB)
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteRepo(s3);
        using var client = Client(s3, new CorruptingHandler());
        var request = Request(s3, client);
        request.PartSizeBytes = partSizeMiB * MiB;
        request.Concurrency = 1;

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new ModelUploader().UploadAsync(request, null, CancellationToken.None));

        Assert.Contains("SHA-256", error.Message);
        Assert.Empty(await s3.ListUploadsAsync());
        using var s3Client = s3.Client();
        var listed = await s3Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = LocalS3.Bucket, Prefix = "hub/" });
        Assert.DoesNotContain(listed.S3Objects ?? new List<S3Object>(), o => o.Key.EndsWith(".safetensors", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_private_repository_without_a_token_fails_before_anything_is_uploaded()
    {
        await using var s3 = await LocalS3.StartAsync();
        WriteRepo(s3, settingsJson: "{\"private\":true,\"tokens\":[\"hf_uploadtesttoken0123\"]}");
        using var client = Client(s3);

        await Assert.ThrowsAsync<HubRepositoryNotFoundException>(() => new ModelUploader().UploadAsync(Request(s3, client), null, CancellationToken.None));

        Assert.Equal(0, s3.Server.Context.Stats.For("s3", "PutObject").Calls);
        using var withToken = Client(s3, token: "hf_uploadtesttoken0123");
        var result = await new ModelUploader().UploadAsync(Request(s3, withToken), null, CancellationToken.None);
        Assert.Equal(0, result.Skipped);
        Assert.True(result.Files > 0);
    }

    private static void FlipLastByte(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Seek(-1, SeekOrigin.End);
        var last = stream.ReadByte();
        stream.Seek(-1, SeekOrigin.End);
        stream.WriteByte((byte)(last ^ 0xFF));
    }

    /// <summary>The real transport (no automatic redirects, as HubClient expects), with the body of the first ranged GETs
    /// of a whole 5 MiB part cut off with an IOException after some bytes, as a dropped connection does.</summary>
    private sealed class CuttingHandler : DelegatingHandler
    {
        private int _failuresLeft;
        private readonly int _afterBytes;
        private int _cut;
        private int _fullPartRequests;

        public CuttingHandler(int failures, int afterBytes)
            : base(new HttpClientHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
        {
            _failuresLeft = failures;
            _afterBytes = afterBytes;
        }

        public int Cut => Volatile.Read(ref _cut);
        public int FullPartRequests => Volatile.Read(ref _fullPartRequests);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var range = request.Headers.Range?.Ranges.FirstOrDefault();
            var isFullPart = response.StatusCode == HttpStatusCode.PartialContent && range?.From != null && range.To - range.From + 1 == 5 * MiB;
            if (!isFullPart)
            {
                return response;
            }

            Interlocked.Increment(ref _fullPartRequests);
            if (Interlocked.Decrement(ref _failuresLeft) < 0)
            {
                return response;
            }

            Interlocked.Increment(ref _cut);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var cut = new StreamContent(new FailingStream(body, _afterBytes));
            foreach (var header in response.Content.Headers)
            {
                cut.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = cut;
            return response;
        }
    }

    private sealed class FailingStream : MemoryStream
    {
        private readonly int _failAt;

        public FailingStream(byte[] bytes, int failAt) : base(bytes) => _failAt = failAt;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= _failAt)
            {
                throw new IOException("The connection was reset (injected by the test).");
            }

            return base.Read(buffer, offset, (int)Math.Min(count, _failAt - Position));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => Task.FromResult(Read(buffer, offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= _failAt)
            {
                throw new IOException("The connection was reset (injected by the test).");
            }

            return base.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _failAt - Position)], cancellationToken);
        }
    }

    private sealed class CallbackHandler : DelegatingHandler
    {
        private readonly Action<HttpRequestMessage> _onRequest;

        public CallbackHandler(Action<HttpRequestMessage> onRequest)
            : base(new HttpClientHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
            => _onRequest = onRequest;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _onRequest(request);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Flips the first byte of every ranged answer for a safetensors file (the Hub's LFS files).</summary>
    private sealed class CorruptingHandler : DelegatingHandler
    {
        public CorruptingHandler()
            : base(new HttpClientHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
        {
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (response.StatusCode != HttpStatusCode.PartialContent || request.RequestUri!.AbsolutePath.IndexOf("/_cdn/", StringComparison.Ordinal) < 0)
            {
                return response;
            }

            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (body.Length > 0)
            {
                body[0] ^= 0xFF;
            }

            var corrupted = new ByteArrayContent(body);
            foreach (var header in response.Content.Headers)
            {
                corrupted.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = corrupted;
            return response;
        }
    }
}

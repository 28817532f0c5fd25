using System.Net;
using BedrockImport.Engine.Hub;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Tests.Credentials;
using BedrockImport.Engine.Tests.Wire;

namespace BedrockImport.Engine.Tests.Hub;

public sealed class HubClientTests : IAsyncLifetime
{
    private HubTestKit _kit;

    public async Task InitializeAsync() => _kit = await HubTestKit.StartAsync();

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    [Fact]
    public async Task ResolveRevision_PinsMainToTheCommit_AndListsEveryFileWithSizesAndLfsSha256()
    {
        var info = _kit.AddRepo("org/tiny");
        using var client = _kit.Client();

        var main = await client.ResolveRevisionAsync("org/tiny", null, CancellationToken.None);
        var bySha = await client.ResolveRevisionAsync("org/tiny", main.Sha, CancellationToken.None);

        Assert.Matches("^[0-9a-f]{40}$", main.Sha);
        Assert.Equal("main", main.RequestedRevision);
        Assert.Equal(main.Sha, bySha.Sha);
        Assert.Equal(info.Files.OrderBy(f => f, StringComparer.Ordinal), main.Files.Select(f => f.Path));
        foreach (var file in main.Files)
        {
            var full = Path.Combine(_kit.RepoFolder("org/tiny"), file.Path);
            Assert.Equal(new FileInfo(full).Length, file.Size);
            if (file.Path.EndsWith(".safetensors"))
                Assert.Equal(HubTestKit.Sha256Hex(full), file.Sha256);
            else
                Assert.Null(file.Sha256);
        }
        Assert.Equal(info.TotalBytes, main.TotalBytes);
    }

    [Fact]
    public async Task ResolveRevision_FollowsEveryTreePage_WithOneLogLinePerCall()
    {
        var info = _kit.AddRepo("org/tiny");
        _kit.SetKnobs(k => k.Hub.TreePageSize = 2);
        using var client = _kit.Client();

        var revision = await client.ResolveRevisionAsync("org/tiny", "main", CancellationToken.None);

        Assert.Equal(info.Files.Count, revision.Files.Count);
        var treeLines = _kit.Log.VerboseLines.Count(l => l.StartsWith("Hugging Face Hub Tree: GET "));
        Assert.Equal((info.Files.Count + 1) / 2, treeLines);
        Assert.Single(_kit.Log.VerboseLines, l => l.StartsWith("Hugging Face Hub ModelInfo: GET "));
    }

    [Fact]
    public async Task OpenRange_ReturnsExactlyTheRequestedBytes_OfSmallAndLfsFiles()
    {
        _kit.AddRepo("org/tiny");
        using var client = _kit.Client();
        var revision = await client.ResolveRevisionAsync("org/tiny", null, CancellationToken.None);
        var config = File.ReadAllBytes(Path.Combine(_kit.RepoFolder("org/tiny"), "config.json"));
        var shard = File.ReadAllBytes(Path.Combine(_kit.RepoFolder("org/tiny"), "model-00002-of-00002.safetensors"));

        var configSlice = await HubTestKit.ReadAllAsync(await client.OpenRangeAsync("org/tiny", revision.Sha, "config.json", 3, 20, CancellationToken.None));
        var shardSlice = await HubTestKit.ReadAllAsync(await client.OpenRangeAsync("org/tiny", revision.Sha, "model-00002-of-00002.safetensors", 1000, 4096, CancellationToken.None));
        var shardTail = await HubTestKit.ReadAllAsync(await client.OpenRangeAsync("org/tiny", revision.Sha, "model-00002-of-00002.safetensors", shard.Length - 10, 100, CancellationToken.None));
        var empty = await HubTestKit.ReadAllAsync(await client.OpenRangeAsync("org/tiny", revision.Sha, "config.json", 0, 0, CancellationToken.None));

        Assert.Equal(config[3..23], configSlice);
        Assert.Equal(shard[1000..5096], shardSlice);
        Assert.Equal(shard[^10..], shardTail);
        Assert.Empty(empty);
    }

    [Fact]
    public async Task OpenRange_OnAGatedRepo_SendsTheTokenToTheHub_ButNotToTheCdnHostItRedirectsTo()
    {
        _kit.AddRepo("org/gated", HubTestKit.GatedSettings);
        using var client = _kit.Client(HubTestKit.GoodToken);
        var revision = await client.ResolveRevisionAsync("org/gated", null, CancellationToken.None);
        _kit.Mirror.Traffic.Reset();

        var header = await HubTestKit.ReadAllAsync(await client.OpenRangeAsync("org/gated", revision.Sha, "model-00001-of-00002.safetensors", 0, 8, CancellationToken.None));

        Assert.Equal(8, header.Length);
        var records = _kit.Mirror.Traffic.Records;
        var resolve = Assert.Single(records, r => r.Operation == "Resolve");
        var cdn = Assert.Single(records, r => r.Operation == "Cdn");
        Assert.Equal(302, resolve.Status);
        Assert.True(resolve.HadAuthorization);
        Assert.StartsWith("127.0.0.1:", resolve.Host);
        Assert.Equal(206, cdn.Status);
        Assert.False(cdn.HadAuthorization);
        Assert.StartsWith("localhost:", cdn.Host);
        Assert.Equal("bytes=0-7", cdn.Range);
        Assert.Single(_kit.Log.VerboseLines, l => l.StartsWith("Hugging Face Hub Resolve: GET "));
    }

    [Fact]
    public async Task Redirects_ToTheSameHost_KeepTheToken_AndToAnotherHost_DropIt()
    {
        var handler = new FakeHandler((request, index) => index switch
        {
            0 => Redirect(HttpStatusCode.TemporaryRedirect, "/new-org/tiny/resolve/abc/config.json"),
            1 => Redirect(HttpStatusCode.Found, "https://cdn.example.test/blob/1"),
            _ => new HttpResponseMessage(HttpStatusCode.PartialContent) { Content = new ByteArrayContent(new byte[] { 1, 2, 3, 4 }) },
        });
        using var client = _kit.Client("hf_redirecttoken", handler: handler);

        var bytes = await HubTestKit.ReadAllAsync(await client.OpenRangeAsync("old-org/tiny", "abc", "config.json", 0, 4, CancellationToken.None));

        Assert.Equal(new byte[] { 1, 2, 3, 4 }, bytes);
        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal("Bearer hf_redirecttoken", handler.Requests[0].Header("Authorization"));
        Assert.Equal("/new-org/tiny/resolve/abc/config.json", handler.Requests[1].Uri.AbsolutePath);
        Assert.Equal("Bearer hf_redirecttoken", handler.Requests[1].Header("Authorization"));
        Assert.Equal("cdn.example.test", handler.Requests[2].Uri.Host);
        Assert.Null(handler.Requests[2].Header("Authorization"));
        Assert.Equal("bytes=0-3", handler.Requests[2].Header("Range"));
    }

    private static HttpResponseMessage Redirect(HttpStatusCode status, string location)
    {
        var response = new HttpResponseMessage(status);
        response.Headers.Location = new Uri(location, UriKind.RelativeOrAbsolute);
        return response;
    }

    [Fact]
    public async Task OpenRange_WhenTheServerIgnoresRange_SkipsToTheOffset()
    {
        var handler = new FakeHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Enumerable.Range(0, 100).Select(i => (byte)i).ToArray()) });
        using var client = _kit.Client(handler: handler);

        var bytes = await HubTestKit.ReadAllAsync(await client.OpenRangeAsync("org/tiny", "main", "f.bin", 10, 5, CancellationToken.None));

        Assert.Equal(new byte[] { 10, 11, 12, 13, 14 }, bytes);
    }

    [Fact]
    public async Task GetFileMetadata_GivesCommitLinkedEtagAndSize_WithoutFollowingTheCdnRedirect()
    {
        _kit.AddRepo("org/tiny");
        using var client = _kit.Client();
        var revision = await client.ResolveRevisionAsync("org/tiny", null, CancellationToken.None);
        var shard = revision.Find("model-00001-of-00002.safetensors");
        var config = revision.Find("config.json");
        _kit.Mirror.Traffic.Reset();

        var lfs = await client.GetFileMetadataAsync("org/tiny", "main", shard.Path, CancellationToken.None);
        var small = await client.GetFileMetadataAsync("org/tiny", "main", config.Path, CancellationToken.None);

        Assert.Equal(revision.Sha, lfs.CommitSha);
        Assert.True(lfs.IsLfs);
        Assert.Equal(shard.Sha256, lfs.ETag);
        Assert.Equal(shard.Size, lfs.Size);
        Assert.Equal("localhost", lfs.Location.Host);
        Assert.False(small.IsLfs);
        Assert.Equal(config.BlobId, small.ETag);
        Assert.Equal(config.Size, small.Size);
        Assert.DoesNotContain(_kit.Mirror.Traffic.Records, r => r.Operation == "Cdn");
    }

    [Fact]
    public async Task Errors_AreTyped_FromStatusAndXErrorCode()
    {
        _kit.AddRepo("org/tiny");
        _kit.AddRepo("org/gated", HubTestKit.GatedSettings);
        _kit.AddRepo("org/private", HubTestKit.PrivateSettings);
        _kit.AddRepo("org/disabled", "{\"disabled\":true}");
        using var anonymous = _kit.Client();
        using var wrongToken = _kit.Client("hf_wrongtoken");
        using var goodToken = _kit.Client(HubTestKit.GoodToken);
        var tiny = await anonymous.ResolveRevisionAsync("org/tiny", null, CancellationToken.None);

        var missing = await Assert.ThrowsAsync<HubRepositoryNotFoundException>(() => anonymous.ResolveRevisionAsync("org/missing", null, CancellationToken.None));
        var hidden = await Assert.ThrowsAsync<HubRepositoryNotFoundException>(() => wrongToken.ResolveRevisionAsync("org/private", null, CancellationToken.None));
        // As on the Hub, a gated repository can be listed by anyone; its files cannot be read without access.
        var gated = await anonymous.ResolveRevisionAsync("org/gated", null, CancellationToken.None);
        var gatedNoToken = await Assert.ThrowsAsync<HubGatedRepositoryException>(() => anonymous.OpenRangeAsync("org/gated", gated.Sha, "config.json", 0, 8, CancellationToken.None));
        var gatedWrong = await Assert.ThrowsAsync<HubGatedRepositoryException>(() => wrongToken.OpenRangeAsync("org/gated", gated.Sha, "config.json", 0, 8, CancellationToken.None));
        var disabled = await Assert.ThrowsAsync<HubAccessDeniedException>(() => anonymous.ResolveRevisionAsync("org/disabled", null, CancellationToken.None));
        var revision = await Assert.ThrowsAsync<HubRevisionNotFoundException>(() => anonymous.ResolveRevisionAsync("org/tiny", "v9", CancellationToken.None));
        var entry = await Assert.ThrowsAsync<HubEntryNotFoundException>(() => anonymous.OpenRangeAsync("org/tiny", tiny.Sha, "nope.json", 0, 8, CancellationToken.None));
        var gatedLfs = await Assert.ThrowsAsync<HubGatedRepositoryException>(() => anonymous.OpenRangeAsync("org/gated", gated.Sha, "model-00001-of-00002.safetensors", 0, 8, CancellationToken.None));
        Assert.NotNull(await goodToken.ResolveRevisionAsync("org/private", null, CancellationToken.None));
        Assert.Equal(8, (await HubTestKit.ReadAllAsync(await goodToken.OpenRangeAsync("org/gated", gated.Sha, "config.json", 0, 8, CancellationToken.None))).Length);

        Assert.Equal((401, "RepoNotFound"), (missing.StatusCode, missing.ErrorCode));
        Assert.Equal(401, hidden.StatusCode);
        Assert.Equal((401, "GatedRepo"), (gatedNoToken.StatusCode, gatedNoToken.ErrorCode));
        Assert.Contains("accept its terms", gatedNoToken.Message);
        Assert.Contains("HF_TOKEN", gatedNoToken.Message);
        Assert.Equal(403, gatedWrong.StatusCode);
        Assert.Contains("Accept its terms", gatedWrong.Message);
        Assert.IsNotType<HubGatedRepositoryException>(disabled);
        Assert.Equal(403, disabled.StatusCode);
        Assert.Equal("v9", revision.Revision);
        Assert.Equal("nope.json", entry.Path);
        Assert.Equal("manual", gated.Gated);
        Assert.Equal("org/gated", gatedLfs.RepoId);
    }

    [Fact]
    public async Task TheToken_NeverAppearsInMessagesLogsOrToString()
    {
        const string secret = "hf_thisIsTheSecretValue42";
        _kit.AddRepo("org/gated", HubTestKit.GatedSettings);
        using var client = _kit.Client(secret);

        var error = await Assert.ThrowsAsync<HubGatedRepositoryException>(() => client.OpenRangeAsync("org/gated", "main", "config.json", 0, 8, CancellationToken.None));
        var entry = await Assert.ThrowsAnyAsync<HubException>(() => client.ResolveRevisionAsync("org/gated", "no-such-revision", CancellationToken.None));

        Assert.DoesNotContain(secret, error.ToString());
        Assert.DoesNotContain(secret, entry.ToString());
        Assert.DoesNotContain(secret, client.ToString());
        Assert.DoesNotContain(secret, new HubClientOptions { Token = secret }.ToString());
        Assert.NotEmpty(_kit.Log.All);
        Assert.All(_kit.Log.All, line => Assert.DoesNotContain(secret, line));
        Assert.Contains("the Token option", error.Message);
    }

    [Fact]
    public async Task Throttling_IsRetriedThroughTheRetryPolicy_HonouringRetryAfter_ThenReported()
    {
        _kit.AddRepo("org/tiny");
        _kit.SetKnobs(k =>
        {
            k.ThrottleRate["hub:ModelInfo"] = 1.0;
            k.Hub.RetryAfterSeconds = 3;
        });
        using var client = _kit.Client(retry: HubTestKit.FastRetry(maxAttempts: 3));

        var error = await Assert.ThrowsAsync<HubException>(() => client.ResolveRevisionAsync("org/tiny", null, CancellationToken.None));

        Assert.Equal(429, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), error.RetryAfter);
        Assert.Equal(3, _kit.Server.Context.Stats.Snapshot()["hub:ModelInfo"].Calls);
        Assert.Equal(new[] { 3.0, 3.0 }, _kit.Time.Delays.Select(d => d.TotalSeconds));
    }

    [Fact]
    public async Task RetryAfter_IsCappedAtMaxDelay()
    {
        _kit.AddRepo("org/tiny");
        _kit.SetKnobs(k =>
        {
            k.ThrottleRate["hub:Tree"] = 1.0;
            k.Hub.RetryAfterSeconds = 600;
        });
        var retry = HubTestKit.FastRetry(maxAttempts: 2);
        retry.MaxDelay = TimeSpan.FromSeconds(2);
        using var client = _kit.Client(retry: retry);

        await Assert.ThrowsAsync<HubException>(() => client.ResolveRevisionAsync("org/tiny", null, CancellationToken.None));

        Assert.Equal(new[] { 2.0 }, _kit.Time.Delays.Select(d => d.TotalSeconds));
    }

    [Fact]
    public async Task ServerErrors_AreRetried_AndTheCallSucceedsWhenTheHubRecovers()
    {
        _kit.AddRepo("org/tiny");
        _kit.SetKnobs(k => k.InternalErrorRate["hub:Resolve"] = 1.0);
        _kit.Time.TimerCreated = () => _kit.SetKnobs(k => k.InternalErrorRate.Clear());
        using var client = _kit.Client();
        var revision = await client.ResolveRevisionAsync("org/tiny", null, CancellationToken.None);

        var bytes = await HubTestKit.ReadAllAsync(await client.OpenRangeAsync("org/tiny", revision.Sha, "config.json", 0, 10, CancellationToken.None));

        Assert.Equal(10, bytes.Length);
        var stats = _kit.Server.Context.Stats.Snapshot()["hub:Resolve"];
        Assert.Equal(2, stats.Calls);
        Assert.Equal(1, stats.InternalErrors);
        Assert.Contains(_kit.Log.VerboseLines, l => l.StartsWith("Retrying Hugging Face Hub Resolve after "));
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task RetryableStatuses_AreRetried_OtherFailuresAreNot(int status)
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Raw((HttpStatusCode)status, "text/html", System.Text.Encoding.UTF8.GetBytes("<html>gateway</html>")),
            () => new HttpResponseMessage(HttpStatusCode.PartialContent) { Content = new ByteArrayContent(new byte[] { 7 }) });
        using var client = _kit.Client(handler: handler);

        var bytes = await HubTestKit.ReadAllAsync(await client.OpenRangeAsync("org/tiny", "main", "config.json", 0, 1, CancellationToken.None));

        Assert.Equal(new byte[] { 7 }, bytes);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(501)]
    public async Task NonRetryableStatuses_FailAtOnce_WithoutDumpingTheBody(int status)
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Raw((HttpStatusCode)status, "text/html", System.Text.Encoding.UTF8.GetBytes("<html>proxy page</html>")));
        using var client = _kit.Client(handler: handler);

        var error = await Assert.ThrowsAsync<HubException>(() => client.OpenRangeAsync("org/tiny", "main", "config.json", 0, 1, CancellationToken.None));

        Assert.Equal(status, error.StatusCode);
        Assert.Single(handler.Requests);
        Assert.DoesNotContain("<html>", error.Message);
    }

    [Fact]
    public async Task NotFoundErrors_AreNotRetried()
    {
        _kit.AddRepo("org/tiny");
        using var client = _kit.Client();

        await Assert.ThrowsAsync<HubRevisionNotFoundException>(() => client.ResolveRevisionAsync("org/tiny", "nope", CancellationToken.None));

        Assert.Equal(1, _kit.Server.Context.Stats.Snapshot()["hub:ModelInfo"].Calls);
        Assert.Empty(_kit.Time.Delays);
    }

    [Fact]
    public async Task TokenFromTheEnvironment_IsUsed_UnlessImplicitTokensAreDisabled()
    {
        _kit.AddRepo("org/private", HubTestKit.PrivateSettings);
        using var fromEnvironment = _kit.Client(environment: new FakeEnvironment().Set("HF_TOKEN", HubTestKit.GoodToken));
        using var disabled = _kit.Client(environment: new FakeEnvironment().Set("HF_TOKEN", HubTestKit.GoodToken).Set("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1"));

        var revision = await fromEnvironment.ResolveRevisionAsync("org/private", null, CancellationToken.None);
        await Assert.ThrowsAsync<HubRepositoryNotFoundException>(() => disabled.ResolveRevisionAsync("org/private", null, CancellationToken.None));

        Assert.Equal("HF_TOKEN", fromEnvironment.TokenSource);
        Assert.False(disabled.HasToken);
        Assert.NotEmpty(revision.Files);
    }

    [Fact]
    public async Task InvalidRepoIds_AreRejectedBeforeAnyCall()
    {
        using var client = _kit.Client();

        await Assert.ThrowsAsync<HubModelReferenceFormatException>(() => client.ResolveRevisionAsync("not a repo", null, CancellationToken.None));
        await Assert.ThrowsAsync<HubModelReferenceFormatException>(() => client.OpenRangeAsync("a/b/c", "main", "x", 0, 1, CancellationToken.None));

        Assert.Empty(_kit.Mirror.Traffic.Records);
    }

    [Fact]
    public async Task Validator_OverHubRepositorySource_PassesAndReadsOnlyAFractionOfTheBytes()
    {
        var info = _kit.AddRepo("org/youko-mini", options: new SyntheticModelOptions { ShardCount = 3, TargetTotalBytes = 6L * 1024 * 1024 });
        using var client = _kit.Client();
        var source = new HubRepositorySource(client, HubModelReference.Parse(_kit.Server.BaseUrl + "org/youko-mini/tree/main", _kit.Server.BaseUrl));

        var remote = await ModelPackageValidator.ValidateAsync(source, null, CancellationToken.None);
        var local = await ModelPackageValidator.ValidateAsync(new LocalFolderSource(_kit.RepoFolder("org/youko-mini")), null, CancellationToken.None);

        Assert.True(remote.Passed, string.Join("\n", remote.Problems));
        Assert.Equal(local.ParameterCount, remote.ParameterCount);
        Assert.Equal(local.TotalBytes, remote.TotalBytes);
        Assert.Equal(info.ParameterCount, remote.ParameterCount);
        var served = _kit.Mirror.Traffic.BytesServed;
        Assert.True(served > 0);
        Assert.True(served * 20 < info.TotalBytes, $"served {served} of {info.TotalBytes} bytes");
        Assert.Contains("/tree/" + source.Revision!.Sha, source.Location);
        Assert.All(_kit.Mirror.Traffic.Records.Where(r => r.Operation is "Resolve" or "Cdn" && r.Path.Contains("safetensors")), r => Assert.NotNull(r.Range));
    }

    [Fact]
    public async Task Validator_OverHubRepositorySource_ReportsADefectInAShardHeader()
    {
        _kit.AddRepo("org/broken", options: new SyntheticModelOptions { ShardCount = 2, Defect = SyntheticModelDefect.SafetensorsTensorSizeMismatch });
        using var client = _kit.Client();

        var report = await ModelPackageValidator.ValidateAsync(new HubRepositorySource(client, "org/broken"), null, CancellationToken.None);

        Assert.False(report.Passed);
        Assert.Contains(report.Errors, p => p.Code == ModelPackageProblemCodes.SafetensorsTensorSizeMismatch);
    }

    [Fact]
    public async Task Validator_OverAGatedRepositoryWithoutAccess_StopsWithTheGatedError()
    {
        _kit.AddRepo("org/gated", HubTestKit.GatedSettings);
        using var client = _kit.Client();

        var error = await Assert.ThrowsAsync<HubGatedRepositoryException>(() => ModelPackageValidator.ValidateAsync(new HubRepositorySource(client, "org/gated"), null, CancellationToken.None));

        Assert.Contains("HF_TOKEN", error.Message);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.LocalEndpoint.Hub;

namespace BedrockImport.LocalEndpoint.Tests.Hub;

public sealed partial class HubMirrorTests : IAsyncLifetime
{
    private const string GoodToken = "hf_mirrortestgoodtoken";
    private TestEndpoint _endpoint;
    private HttpClient _http;

    public async Task InitializeAsync()
    {
        _endpoint = await TestEndpoint.StartAsync();
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _endpoint.Server.BaseUrl };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _endpoint.DisposeAsync();
    }

    private string RepoFolder(string repo) => Path.Combine(_endpoint.DataDirectory, "hub", repo.Replace('/', Path.DirectorySeparatorChar));

    private SyntheticModelInfo AddRepo(string repo, string settingsJson = null, int shards = 2)
    {
        var folder = RepoFolder(repo);
        var info = SyntheticModel.Write(folder, new SyntheticModelOptions { ShardCount = shards });
        if (settingsJson is not null)
            File.WriteAllText(Path.Combine(folder, HubRepositorySettings.FileName), settingsJson);
        return info;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string token = null, string range = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (range is not null)
            request.Headers.TryAddWithoutValidation("Range", range);
        return await _http.SendAsync(request);
    }

    private async Task<JsonElement> GetJsonAsync(string url, string token = null)
    {
        using var response = await SendAsync(HttpMethod.Get, url, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static string Sha256Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static string GitBlobSha1(byte[] data)
        => Convert.ToHexStringLower(SHA1.HashData(Encoding.ASCII.GetBytes("blob " + data.Length + "\0").Concat(data).ToArray()));

    [Fact]
    public async Task ModelInfo_ListsEverySibling_AndMainAndTheShaResolveToTheSameCommit()
    {
        var info = AddRepo("org/tiny");

        var main = await GetJsonAsync("/api/models/org/tiny/revision/main");
        var sha = main.GetProperty("sha").GetString();
        var bySha = await GetJsonAsync("/api/models/org/tiny/revision/" + sha);
        var bare = await GetJsonAsync("/api/models/org/tiny");

        Assert.Matches("^[0-9a-f]{40}$", sha);
        Assert.Equal(sha, bySha.GetProperty("sha").GetString());
        Assert.Equal(sha, bare.GetProperty("sha").GetString());
        Assert.Equal("org/tiny", main.GetProperty("id").GetString());
        Assert.Equal(info.Files.OrderBy(f => f, StringComparer.Ordinal),
            main.GetProperty("siblings").EnumerateArray().Select(s => s.GetProperty("rfilename").GetString()));
        Assert.Equal("llama", main.GetProperty("config").GetProperty("model_type").GetString());
    }

    [Fact]
    public async Task ModelInfo_WithBlobs_GivesSizesAndLfsSha256()
    {
        AddRepo("org/tiny");
        var shard = File.ReadAllBytes(Path.Combine(RepoFolder("org/tiny"), "model-00001-of-00002.safetensors"));

        var info = await GetJsonAsync("/api/models/org/tiny/revision/main?blobs=true");

        var sibling = info.GetProperty("siblings").EnumerateArray().Single(s => s.GetProperty("rfilename").GetString() == "model-00001-of-00002.safetensors");
        Assert.Equal(shard.Length, sibling.GetProperty("size").GetInt64());
        Assert.Equal(Sha256Hex(shard), sibling.GetProperty("lfs").GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task CommitSha_ChangesWhenContentChanges_AndCanBeFixedInHubJson()
    {
        AddRepo("org/tiny");
        var before = (await GetJsonAsync("/api/models/org/tiny/revision/main")).GetProperty("sha").GetString();

        File.WriteAllText(Path.Combine(RepoFolder("org/tiny"), "README.md"), "# changed");
        var after = (await GetJsonAsync("/api/models/org/tiny/revision/main")).GetProperty("sha").GetString();
        File.WriteAllText(Path.Combine(RepoFolder("org/tiny"), HubRepositorySettings.FileName), "{\"sha\":\"" + new string('a', 40) + "\"}");
        var fixedSha = (await GetJsonAsync("/api/models/org/tiny/revision/main")).GetProperty("sha").GetString();

        Assert.NotEqual(before, after);
        Assert.Equal(new string('a', 40), fixedSha);
        using var oldRevision = await SendAsync(HttpMethod.Get, "/api/models/org/tiny/revision/" + before);
        Assert.Equal(HttpStatusCode.NotFound, oldRevision.StatusCode);
    }

    [Fact]
    public async Task Tree_GivesGitOidsForSmallFiles_AndLfsMetadataForSafetensors()
    {
        AddRepo("org/tiny");
        var folder = RepoFolder("org/tiny");

        var tree = await GetJsonAsync("/api/models/org/tiny/tree/main?recursive=true");

        var entries = tree.EnumerateArray().ToDictionary(e => e.GetProperty("path").GetString());
        var config = File.ReadAllBytes(Path.Combine(folder, "config.json"));
        Assert.Equal(GitBlobSha1(config), entries["config.json"].GetProperty("oid").GetString());
        Assert.Equal(config.Length, entries["config.json"].GetProperty("size").GetInt64());
        Assert.False(entries["config.json"].TryGetProperty("lfs", out _));
        var shard = File.ReadAllBytes(Path.Combine(folder, "model-00002-of-00002.safetensors"));
        var lfs = entries["model-00002-of-00002.safetensors"].GetProperty("lfs");
        Assert.Equal(Sha256Hex(shard), lfs.GetProperty("oid").GetString());
        Assert.Equal(shard.Length, lfs.GetProperty("size").GetInt64());
        Assert.True(lfs.GetProperty("pointerSize").GetInt32() is > 100 and < 200);
        Assert.True(File.Exists(Path.Combine(_endpoint.DataDirectory, "hub", ".cache", "org", "tiny", "model-00002-of-00002.safetensors.sha256")));
    }

    [Fact]
    public async Task Tree_NonRecursive_ListsDirectories_AndAPathListsItsChildren()
    {
        AddRepo("org/tiny");
        Directory.CreateDirectory(Path.Combine(RepoFolder("org/tiny"), "extra", "deep"));
        File.WriteAllText(Path.Combine(RepoFolder("org/tiny"), "extra", "deep", "notes.txt"), "n");

        var top = await GetJsonAsync("/api/models/org/tiny/tree/main");
        var extra = await GetJsonAsync("/api/models/org/tiny/tree/main/extra?recursive=true");

        Assert.Contains(top.EnumerateArray(), e => e.GetProperty("path").GetString() == "extra" && e.GetProperty("type").GetString() == "directory");
        Assert.DoesNotContain(top.EnumerateArray(), e => e.GetProperty("path").GetString()!.StartsWith("extra/", StringComparison.Ordinal));
        Assert.Equal(new[] { "extra/deep", "extra/deep/notes.txt" }, extra.EnumerateArray().Select(e => e.GetProperty("path").GetString()));
    }

    [Fact]
    public async Task Tree_PagesFollowLinkNext_UntilEveryEntryWasSeenOnce()
    {
        var info = AddRepo("org/tiny");
        var knobs = KnobsWith(k => k.Hub.TreePageSize = 3);
        _endpoint.Server.Knobs.Set(knobs);

        var seen = new List<string>();
        var pages = 0;
        string url = "/api/models/org/tiny/tree/main?recursive=true";
        while (url is not null)
        {
            using var response = await SendAsync(HttpMethod.Get, url);
            var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(page.GetArrayLength() <= 3);
            seen.AddRange(page.EnumerateArray().Select(e => e.GetProperty("path").GetString()));
            pages++;
            url = response.Headers.TryGetValues("Link", out var links) ? ParseNext(links.Single()) : null;
        }

        Assert.Equal(info.Files.OrderBy(f => f, StringComparer.Ordinal), seen);
        Assert.Equal((info.Files.Count + 2) / 3, pages);
    }

    private static string ParseNext(string link)
    {
        Assert.EndsWith("; rel=\"next\"", link);
        return link[1..link.IndexOf('>')];
    }

    [Fact]
    public async Task Head_OnASmallFile_GivesCommitEtagAndLength_WithoutLinkedHeaders()
    {
        AddRepo("org/tiny");
        var config = File.ReadAllBytes(Path.Combine(RepoFolder("org/tiny"), "config.json"));
        var sha = (await GetJsonAsync("/api/models/org/tiny")).GetProperty("sha").GetString();

        using var response = await SendAsync(HttpMethod.Head, "/org/tiny/resolve/main/config.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(sha, response.Headers.GetValues("X-Repo-Commit").Single());
        Assert.Equal("\"" + GitBlobSha1(config) + "\"", response.Headers.ETag!.Tag);
        Assert.Equal(config.Length, response.Content.Headers.ContentLength);
        Assert.False(response.Headers.Contains("X-Linked-Etag"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_OnASmallFile_ServesRanges()
    {
        AddRepo("org/tiny");
        var config = File.ReadAllBytes(Path.Combine(RepoFolder("org/tiny"), "config.json"));

        using var whole = await SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/config.json");
        using var middle = await SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/config.json", range: "bytes=5-14");
        using var suffix = await SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/config.json", range: "bytes=-4");
        using var past = await SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/config.json", range: $"bytes={config.Length}-");

        Assert.Equal(config, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.PartialContent, middle.StatusCode);
        Assert.Equal($"bytes 5-14/{config.Length}", middle.Content.Headers.ContentRange!.ToString());
        Assert.Equal(config[5..15], await middle.Content.ReadAsByteArrayAsync());
        Assert.Equal(config[^4..], await suffix.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, past.StatusCode);
        Assert.Equal($"bytes */{config.Length}", past.Content.Headers.ContentRange!.ToString());
    }

    [Theory]
    [InlineData("127.0.0.1", "localhost")]
    [InlineData("localhost", "127.0.0.1")]
    public async Task LfsFile_RedirectsToTheOtherHostName_WithLinkedEtagAndSize(string requestHost, string cdnHost)
    {
        AddRepo("org/tiny");
        var shard = File.ReadAllBytes(Path.Combine(RepoFolder("org/tiny"), "model-00001-of-00002.safetensors"));
        var port = _endpoint.Server.BaseUrl.Port;

        using var head = await SendAsync(HttpMethod.Head, $"http://{requestHost}:{port}/org/tiny/resolve/main/model-00001-of-00002.safetensors");

        Assert.Equal(HttpStatusCode.Found, head.StatusCode);
        Assert.Equal("\"" + Sha256Hex(shard) + "\"", head.Headers.GetValues("X-Linked-Etag").Single());
        Assert.Equal(shard.Length.ToString(), head.Headers.GetValues("X-Linked-Size").Single());
        Assert.Matches("^[0-9a-f]{40}$", head.Headers.GetValues("X-Repo-Commit").Single());
        Assert.Equal(cdnHost, head.Headers.Location!.Host);
        Assert.Equal(port, head.Headers.Location.Port);
        Assert.StartsWith("/_cdn/", head.Headers.Location.AbsolutePath);
    }

    [Fact]
    public async Task Cdn_ServesRangesOfAGatedFile_WithoutAuthorization()
    {
        AddRepo("org/gated", "{\"gated\":true,\"tokens\":[\"" + GoodToken + "\"]}");
        var shard = File.ReadAllBytes(Path.Combine(RepoFolder("org/gated"), "model-00002-of-00002.safetensors"));

        using var redirect = await SendAsync(HttpMethod.Get, "/org/gated/resolve/main/model-00002-of-00002.safetensors", GoodToken);
        using var header = await SendAsync(HttpMethod.Get, redirect.Headers.Location!.ToString(), range: "bytes=0-7");
        using var whole = await SendAsync(HttpMethod.Get, redirect.Headers.Location.ToString());

        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        Assert.Equal(HttpStatusCode.PartialContent, header.StatusCode);
        Assert.Equal($"bytes 0-7/{shard.Length}", header.Content.Headers.ContentRange!.ToString());
        Assert.Equal(shard[..8], await header.Content.ReadAsByteArrayAsync());
        Assert.Equal(shard, await whole.Content.ReadAsByteArrayAsync());
        var cdn = _endpoint.Server.Hub.Traffic.Records.Where(r => r.Operation == "Cdn").ToList();
        Assert.Equal(2, cdn.Count);
        Assert.All(cdn, r => Assert.False(r.HadAuthorization));
        Assert.All(cdn, r => Assert.StartsWith("localhost:", r.Host));
        Assert.Equal(8 + shard.Length, _endpoint.Server.Hub.Traffic.BytesServed);
    }

    [Fact]
    public async Task Cdn_RejectsATamperedToken()
    {
        AddRepo("org/tiny");
        using var redirect = await SendAsync(HttpMethod.Head, "/org/tiny/resolve/main/model.safetensors-does-not-exist");
        Assert.Equal(HttpStatusCode.NotFound, redirect.StatusCode);

        using var real = await SendAsync(HttpMethod.Head, "/org/tiny/resolve/main/model-00001-of-00002.safetensors");
        var location = real.Headers.Location!.ToString();
        var tampered = location[..^2] + (location[^2] == 'A' ? "BB" : "AA");
        using var response = await SendAsync(HttpMethod.Get, tampered);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    public static TheoryData<string, string, string, int, string> AccessCases => new()
    {
        // repo settings, token, url, status, X-Error-Code
        { "{\"gated\":true,\"tokens\":[\"" + GoodToken + "\"]}", null, "/org/r/resolve/main/config.json", 401, "GatedRepo" },
        { "{\"gated\":true,\"tokens\":[\"" + GoodToken + "\"]}", "hf_other", "/org/r/resolve/main/config.json", 403, "GatedRepo" },
        { "{\"gated\":true,\"tokens\":[\"" + GoodToken + "\"]}", GoodToken, "/org/r/resolve/main/config.json", 200, null },
        // Like the Hub: a gated repository's info and file list are public, only downloads are gated.
        { "{\"gated\":true,\"tokens\":[\"" + GoodToken + "\"]}", null, "/api/models/org/r/revision/main", 200, null },
        { "{\"gated\":true,\"tokens\":[\"" + GoodToken + "\"]}", "hf_other", "/api/models/org/r/tree/main", 200, null },
        { "{\"private\":true,\"tokens\":[\"" + GoodToken + "\"]}", null, "/org/r/resolve/main/config.json", 401, "RepoNotFound" },
        { "{\"private\":true,\"tokens\":[\"" + GoodToken + "\"]}", "hf_other", "/api/models/org/r/tree/main", 401, "RepoNotFound" },
        { "{\"private\":true,\"tokens\":[\"" + GoodToken + "\"]}", GoodToken, "/api/models/org/r/tree/main", 200, null },
        { "{\"disabled\":true}", null, "/org/r/resolve/main/config.json", 403, null },
        { null, null, "/org/missing/resolve/main/config.json", 401, "RepoNotFound" },
        { null, null, "/api/models/org/missing", 401, "RepoNotFound" },
        { null, null, "/org/r/resolve/v9.9/config.json", 404, "RevisionNotFound" },
        { null, null, "/api/models/org/r/tree/nope", 404, "RevisionNotFound" },
        { null, null, "/org/r/resolve/main/no-such-file.json", 404, "EntryNotFound" },
        { null, "hf_anything", "/org/r/resolve/main/config.json", 200, null },
    };

    [Theory]
    [MemberData(nameof(AccessCases))]
    public async Task Access_IsDecidedByRepositorySettingsAndBearerToken(string settings, string token, string url, int status, string errorCode)
    {
        AddRepo("org/r", settings, shards: 1);

        using var get = await SendAsync(HttpMethod.Get, url, token);
        using var head = await SendAsync(HttpMethod.Head, url, token);

        Assert.Equal(status, (int)get.StatusCode);
        Assert.Equal(status, (int)head.StatusCode);
        Assert.Equal(errorCode, get.Headers.TryGetValues("X-Error-Code", out var codes) ? codes.Single() : null);
        Assert.Equal(errorCode, head.Headers.TryGetValues("X-Error-Code", out var headCodes) ? headCodes.Single() : null);
        if (status >= 400)
        {
            Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()));
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task ErrorMessages_NeverEchoTheToken()
    {
        AddRepo("org/r", "{\"gated\":true,\"tokens\":[\"" + GoodToken + "\"]}", shards: 1);

        using var response = await SendAsync(HttpMethod.Get, "/org/r/resolve/main/config.json", "hf_secretvalue123");

        Assert.DoesNotContain("hf_secretvalue123", await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain("hf_secretvalue123", string.Join(";", response.Headers.SelectMany(h => h.Value)));
    }

    [Fact]
    public async Task Knobs_ThrottleOnlyTheScopedOperation_WithRetryAfter_AndCountIt()
    {
        AddRepo("org/tiny", shards: 1);
        _endpoint.Server.Knobs.Set(KnobsWith(k =>
        {
            k.ThrottleRate["hub:Resolve"] = 1.0;
            k.Hub.RetryAfterSeconds = 7;
        }));

        using var resolve = await SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/config.json");
        using var info = await SendAsync(HttpMethod.Get, "/api/models/org/tiny");

        Assert.Equal(429, (int)resolve.StatusCode);
        Assert.Equal("7", resolve.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.OK, info.StatusCode);
        var stats = _endpoint.Server.Context.Stats.Snapshot();
        Assert.Equal(1, stats["hub:Resolve"].Throttled);
        Assert.Equal(1, stats["hub:ModelInfo"].Calls);
    }

    [Fact]
    public async Task Knobs_InternalErrorForTheWholeHubScope()
    {
        AddRepo("org/tiny", shards: 1);
        _endpoint.Server.Knobs.Set(KnobsWith(k => k.InternalErrorRate["hub"] = 1.0));

        using var tree = await SendAsync(HttpMethod.Get, "/api/models/org/tiny/tree/main");

        Assert.Equal(500, (int)tree.StatusCode);
    }

    [Fact]
    public async Task TrafficRoute_ReportsBytesAndAuthorizationFlags_AndResets()
    {
        AddRepo("org/tiny", shards: 1);
        using (await SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/config.json", "hf_x", range: "bytes=0-9")) { }

        var traffic = await GetJsonAsync("/_hub/traffic");
        using var reset = await SendAsync(HttpMethod.Delete, "/_hub/traffic");

        Assert.Equal(10, traffic.GetProperty("bytesServed").GetInt64());
        var record = traffic.GetProperty("requests").EnumerateArray().Single();
        Assert.True(record.GetProperty("hadAuthorization").GetBoolean());
        Assert.Equal("bytes=0-9", record.GetProperty("range").GetString());
        Assert.Equal(0, _endpoint.Server.Hub.Traffic.BytesServed);
    }

    private Knobs.Knobs KnobsWith(Action<Knobs.Knobs> change)
    {
        var knobs = BedrockImport.LocalEndpoint.Knobs.KnobStore.Deserialize(BedrockImport.LocalEndpoint.Knobs.KnobStore.Serialize(_endpoint.Server.Knobs.Current));
        change(knobs);
        return knobs;
    }
}

using System.Net;
using System.Text.Json;

namespace BedrockImport.LocalEndpoint.Tests.Hub;

// Which requests reach which Hub route, and what the mirror answers for requests that fit none.
public sealed partial class HubMirrorTests
{
    [Theory]
    [InlineData("POST", "/api/models/org/tiny")]
    [InlineData("PUT", "/api/models/org/tiny/tree/main")]
    [InlineData("DELETE", "/org/tiny/resolve/main/config.json")]
    [InlineData("POST", "/api/models/org/tiny/no-such-route")]
    [InlineData("POST", "/_cdn/anything")]
    public async Task OtherMethodsThanGetAndHead_Get405InTheHubErrorShape_AndAreNotCounted(string method, string url)
    {
        AddRepo("org/tiny", shards: 1);

        using var response = await SendAsync(new HttpMethod(method), url);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains(method, response.Headers.GetValues("X-Error-Message").Single());
        Assert.Contains(method, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.DoesNotContain(_endpoint.Server.Context.Stats.Snapshot().Keys, k => k.StartsWith("hub:", StringComparison.Ordinal));
        Assert.Empty(_endpoint.Server.Hub.Traffic.Records);
    }

    [Theory]
    [InlineData("/api/models/org")]
    [InlineData("/api/models/org/tiny/no-such-route")]
    [InlineData("/api/models/org/tiny/tree")]
    public async Task UnknownApiRoutes_Get404WithoutAnErrorCode_AndAreNotCounted(string url)
    {
        AddRepo("org/tiny", shards: 1);

        using var response = await SendAsync(HttpMethod.Get, url);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("X-Error-Code"));
        Assert.Contains("no API route", response.Headers.GetValues("X-Error-Message").Single());
        Assert.Empty(_endpoint.Server.Context.Stats.Snapshot());
    }

    [Theory]
    [InlineData("/api/models/org/tiny/revision/refs%2Fpr%2F1", "Invalid rev id: refs/pr/1")]
    [InlineData("/api/models/org/tiny/revision/refs/pr/1", "Invalid rev id: refs/pr/1")]
    [InlineData("/api/models/org/tiny/tree/refs%2Fpr%2F1", "Invalid rev id: refs/pr/1")]
    [InlineData("/org/tiny/resolve/refs%2Fpr%2F1/config.json", "Invalid rev id: refs/pr/1")]
    public async Task Revisions_WithSlashes_AreReadWhole(string url, string message)
    {
        AddRepo("org/tiny", shards: 1);

        using var response = await SendAsync(HttpMethod.Get, url);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("RevisionNotFound", response.Headers.GetValues("X-Error-Code").Single());
        Assert.Equal(message, response.Headers.GetValues("X-Error-Message").Single());
    }

    [Fact]
    public async Task Routes_TakeTheRevisionByShaAndFilesAndTreePathsInSubfolders()
    {
        AddRepo("org/tiny", shards: 1);
        Directory.CreateDirectory(Path.Combine(RepoFolder("org/tiny"), "extra", "deep"));
        File.WriteAllText(Path.Combine(RepoFolder("org/tiny"), "extra", "deep", "notes.txt"), "deep notes");
        var sha = (await GetJsonAsync("/api/models/org/tiny")).GetProperty("sha").GetString();

        using var file = await SendAsync(HttpMethod.Get, $"/org/tiny/resolve/{sha}/extra/deep/notes.txt");
        var tree = await GetJsonAsync($"/api/models/org/tiny/tree/{sha}/extra/deep");
        using var missingFolder = await SendAsync(HttpMethod.Get, "/api/models/org/tiny/tree/main/nope");

        Assert.Equal("deep notes", await file.Content.ReadAsStringAsync());
        Assert.Equal(new[] { "extra/deep/notes.txt" }, tree.EnumerateArray().Select(e => e.GetProperty("path").GetString()));
        Assert.Equal("EntryNotFound", missingFolder.Headers.GetValues("X-Error-Code").Single());
        var operations = _endpoint.Server.Context.Stats.Snapshot();
        Assert.Equal(1, operations["hub:Resolve"].Calls);
        Assert.Equal(2, operations["hub:Tree"].Calls);
        Assert.Equal(1, operations["hub:ModelInfo"].Calls);
    }

    [Fact]
    public async Task Traffic_AnswersAnyMethodButDelete_WithTheRecords()
    {
        AddRepo("org/tiny", shards: 1);
        using (await SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/config.json")) { }

        using var post = await SendAsync(HttpMethod.Post, "/_hub/traffic");
        using var delete = await SendAsync(HttpMethod.Delete, "/_hub/traffic");

        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Single(JsonDocument.Parse(await post.Content.ReadAsStringAsync()).RootElement.GetProperty("requests").EnumerateArray());
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Empty(_endpoint.Server.Hub.Traffic.Records);
    }

    [Fact]
    public async Task InjectedFaults_AreRecordedInTheTraffic_AndCountedOnce()
    {
        AddRepo("org/tiny", shards: 1);
        _endpoint.Server.Knobs.Set(KnobsWith(k =>
        {
            k.ThrottleRate["hub:ModelInfo"] = 1.0;
            k.InternalErrorRate["hub:Tree"] = 1.0;
            k.DropConnectionRate["hub:Resolve"] = 1.0;
            k.LatencyMs["hub:Tree"] = 3;
        }));

        using var info = await SendAsync(HttpMethod.Get, "/api/models/org/tiny");
        using var tree = await SendAsync(HttpMethod.Head, "/api/models/org/tiny/tree/main");
        await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/config.json"));

        Assert.Equal(429, (int)info.StatusCode);
        Assert.Equal("1", info.Headers.GetValues("Retry-After").Single());
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(await info.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()));
        Assert.Equal(500, (int)tree.StatusCode);
        Assert.False(string.IsNullOrEmpty(tree.Headers.GetValues("X-Error-Message").Single()));
        Assert.Empty(await tree.Content.ReadAsByteArrayAsync());
        Assert.Equal(new[] { ("ModelInfo", 429), ("Tree", 500), ("Resolve", 0) },
            _endpoint.Server.Hub.Traffic.Records.Select(r => (r.Operation, r.Status)));
        var stats = _endpoint.Server.Context.Stats.Snapshot();
        Assert.Equal((1, 1), (stats["hub:ModelInfo"].Calls, stats["hub:ModelInfo"].Throttled));
        Assert.Equal((1, 1, 3), (stats["hub:Tree"].Calls, stats["hub:Tree"].InternalErrors, stats["hub:Tree"].InjectedLatencyMs));
        Assert.Equal((1, 1), (stats["hub:Resolve"].Calls, stats["hub:Resolve"].DroppedConnections));
    }

    [Fact]
    public async Task UnsignedRequestsOutsideTheMirror_StillGetTheEndpointsOwnAnswers()
    {
        using var admin = await SendAsync(HttpMethod.Get, "/_admin/health");
        using var other = await SendAsync(HttpMethod.Get, "/somewhere/else");

        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.False(other.Headers.Contains("X-Error-Message"));
        Assert.Contains("no unsigned route", JsonDocument.Parse(await other.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString());
    }
}

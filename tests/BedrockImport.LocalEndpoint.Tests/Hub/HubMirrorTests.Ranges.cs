using System.Net;

namespace BedrockImport.LocalEndpoint.Tests.Hub;

// What the mirror answers for each kind of Range header, on a small file (served by /resolve) and an LFS file (by /_cdn).
public sealed partial class HubMirrorTests
{
    public static TheoryData<string, int, string> RangeCases => new()
    {
        // Range header, status, Content-Range with N for the file's size ("" = none); the body follows from the Content-Range.
        { "bytes=5-", 206, "bytes 5-{N-1}/N" },
        { "bytes=0-0", 206, "bytes 0-0/N" },
        { "bytes=2-99999999", 206, "bytes 2-{N-1}/N" },
        { "bytes=-99999999", 206, "bytes 0-{N-1}/N" },
        { "BYTES=1-3", 206, "bytes 1-3/N" },
        { "bytes=0-1,4-5", 200, "" },
        { "bytes=0-1, 4-5", 200, "" },
        { "bytes=-0", 200, "" },
        { "bytes=9-3", 200, "" },
        { "bytes=abc", 200, "" },
        { "bytes=5", 200, "" },
        { "items=0-3", 200, "" },
        { "bytes=99999999999999999999-", 200, "" },
        { "bytes={N}-", 416, "bytes */N" },
        { "bytes={N}-{N+5}", 416, "bytes */N" },
    };

    [Theory]
    [MemberData(nameof(RangeCases))]
    public async Task Ranges_OfASmallFileAndOfAnLfsFile_AreAnsweredAlike(string range, int status, string contentRange)
    {
        AddRepo("org/tiny", shards: 1);
        var folder = RepoFolder("org/tiny");
        using var redirect = await SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/model.safetensors");
        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        var urls = new[] { ("/org/tiny/resolve/main/config.json", "config.json"), (redirect.Headers.Location!.ToString(), "model.safetensors") };

        foreach (var (url, file) in urls)
        {
            var content = File.ReadAllBytes(Path.Combine(folder, file));
            var n = content.Length;
            string Fill(string text) => text.Replace("{N-1}", (n - 1).ToString()).Replace("{N+5}", (n + 5).ToString())
                .Replace("{N}", n.ToString()).Replace("/N", "/" + n);

            using var get = await SendAsync(HttpMethod.Get, url, range: Fill(range));
            using var head = await SendAsync(HttpMethod.Head, url, range: Fill(range));

            Assert.Equal(status, (int)get.StatusCode);
            Assert.Equal(status, (int)head.StatusCode);
            Assert.Equal(Fill(contentRange), get.Content.Headers.ContentRange?.ToString() ?? "");
            Assert.Equal(Fill(contentRange), head.Content.Headers.ContentRange?.ToString() ?? "");
            var body = await get.Content.ReadAsByteArrayAsync();
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
            var expected = status switch
            {
                200 => content,
                206 => content[(int)get.Content.Headers.ContentRange!.From!.Value..((int)get.Content.Headers.ContentRange.To!.Value + 1)],
                _ => Array.Empty<byte>(),
            };
            Assert.Equal(expected, body);
            if (status != 416)
                Assert.Equal(expected.Length, head.Content.Headers.ContentLength);
        }
    }

    [Theory]
    [InlineData("bytes=0-", 416)]
    [InlineData("bytes=-5", 416)]
    [InlineData("bytes=-0", 200)]
    [InlineData(null, 200)]
    public async Task Ranges_OfAnEmptyFile(string range, int status)
    {
        AddRepo("org/tiny", shards: 1);
        File.WriteAllBytes(Path.Combine(RepoFolder("org/tiny"), "empty.txt"), Array.Empty<byte>());

        using var get = await SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/empty.txt", range: range);

        Assert.Equal(status, (int)get.StatusCode);
        Assert.Equal(status == 416 ? "bytes */0" : "", get.Content.Headers.ContentRange?.ToString() ?? "");
        Assert.Empty(await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Traffic_RecordsTheBytesOfEachRangedAnswer()
    {
        AddRepo("org/tiny", shards: 1);
        var size = new FileInfo(Path.Combine(RepoFolder("org/tiny"), "config.json")).Length;

        using (await SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/config.json", range: "bytes=-3")) { }
        using (await SendAsync(HttpMethod.Head, "/org/tiny/resolve/main/config.json", range: "bytes=0-9")) { }
        using (await SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/config.json", range: $"bytes={size}-")) { }
        using (await SendAsync(HttpMethod.Get, "/org/tiny/resolve/main/config.json", range: "bytes=0-1,3-4")) { }

        var records = _endpoint.Server.Hub.Traffic.Records;
        Assert.Equal(new long[] { 3, 0, 0, size }, records.Select(r => r.Bytes));
        Assert.Equal(new[] { 206, 206, 416, 200 }, records.Select(r => r.Status));
        Assert.Equal(new[] { "bytes=-3", "bytes=0-9", $"bytes={size}-", "bytes=0-1,3-4" }, records.Select(r => r.Range));
        Assert.Equal(3 + size, _endpoint.Server.Hub.Traffic.BytesServed);
    }
}

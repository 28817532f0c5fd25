namespace BedrockImport.LocalEndpoint.Tests.S3;

// GetObject's answer for each kind of Range header, sent byte-exact in a signed request.
public sealed class S3RangeTests
{
    [Theory]
    [InlineData("bytes=10-19", 206, "bytes 10-19/100")]
    [InlineData("bytes=90-", 206, "bytes 90-99/100")]
    [InlineData("bytes=-5", 206, "bytes 95-99/100")]
    [InlineData("bytes=-500", 206, "bytes 0-99/100")]
    [InlineData("bytes=95-500", 206, "bytes 95-99/100")]
    [InlineData("bytes=1 - 2", 206, "bytes 1-2/100")]
    [InlineData("bytes=0-1,5-6", 200, "")]
    [InlineData("bytes=9-3", 200, "")]
    [InlineData("bytes=abc", 200, "")]
    [InlineData("items=0-3", 200, "")]
    [InlineData("bytes=-0", 416, "")]
    [InlineData("bytes=100-", 416, "")]
    public async Task GetObject_AnswersEachRangeForm(string range, int status, string contentRange)
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        var data = TestEndpoint.RandomBytes(100, seed: 3);
        endpoint.Server.Context.S3.CreateBucket("bkt");
        await endpoint.Server.Context.S3.PutObjectAsync("bkt", "k", new MemoryStream(data));

        using var response = await endpoint.SendSignedAsync(HttpMethod.Get, "/bkt/k", headers: new Dictionary<string, string> { ["Range"] = range });

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(contentRange, response.Content.Headers.ContentRange?.ToString() ?? "");
        var body = await response.Content.ReadAsByteArrayAsync();
        if (status == 416)
        {
            Assert.Contains("<Code>InvalidRange</Code>", System.Text.Encoding.UTF8.GetString(body));
            return;
        }
        var range206 = response.Content.Headers.ContentRange;
        Assert.Equal(status == 200 ? data : data[(int)range206!.From!.Value..((int)range206.To!.Value + 1)], body);
    }
}

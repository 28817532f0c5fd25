using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.LocalEndpoint.Knobs;

namespace BedrockImport.LocalEndpoint.Tests;

public sealed class KnobTests
{
    [Fact]
    public async Task Latency_IsAppliedPerOperationThroughTheInjectedDelay()
    {
        var delays = new ConcurrentQueue<TimeSpan>();
        await using var endpoint = await TestEndpoint.StartAsync(o => o.Delay = (d, _) => { delays.Enqueue(d); return Task.CompletedTask; });
        endpoint.Server.Knobs.Set(new Knobs.Knobs { LatencyMs = new() { ["s3:PutObject"] = 250, ["s3"] = 5 } });
        using var s3 = endpoint.S3();
        endpoint.Server.Context.S3.CreateBucket("bkt");

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bkt", Key = "k", ContentBody = "x" });
        await s3.GetObjectMetadataAsync("bkt", "k");

        Assert.Equal(new[] { TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(5) }, delays);
        var stats = endpoint.Server.Context.Stats.Snapshot();
        Assert.Equal(250, stats["s3:PutObject"].InjectedLatencyMs);
        Assert.Equal(5, stats["s3:HeadObject"].InjectedLatencyMs);
    }

    [Fact]
    public async Task ThrottleRateOne_ThrottlesEveryCallWithSlowDown()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");
        endpoint.Server.Knobs.Set(new Knobs.Knobs { ThrottleRate = new() { ["s3"] = 1.0 } });
        using var s3 = endpoint.S3(c => c.MaxErrorRetry = 0);

        for (var i = 0; i < 3; i++)
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("bkt", "k"));
            Assert.Equal("SlowDown", e.ErrorCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode);
        }
        var stats = endpoint.Server.Context.Stats.Snapshot()["s3:GetObject"];
        Assert.Equal(3, stats.Calls);
        Assert.Equal(3, stats.Throttled);
    }

    [Fact]
    public async Task ThrottleOnJsonService_IsThrottlingException429()
    {
        await using var endpoint = await TestEndpoint.StartAsync(o => o.ConfigureServices = (r, _) => r.Add(new EchoJsonService()));
        endpoint.Server.Knobs.Set(new Knobs.Knobs { ThrottleRate = new() { ["testsvc:Echo"] = 1.0 }, InternalErrorRate = new() { ["s3"] = 1.0 } });
        using var response = await endpoint.SendSignedAsync(HttpMethod.Get, "/x", service: "testsvc");
        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal("ThrottlingException", response.Headers.GetValues("x-amzn-ErrorType").Single());
    }

    [Fact]
    public async Task InternalErrorRateOne_AnswersInternalError500()
    {
        await using var endpoint = await TestEndpoint.StartAsync(o => o.ConfigureServices = (r, _) => r.Add(new EchoJsonService()));
        endpoint.Server.Context.S3.CreateBucket("bkt");
        endpoint.Server.Knobs.Set(new Knobs.Knobs { InternalErrorRate = new() { ["*"] = 1.0 } });
        using var s3 = endpoint.S3(c => c.MaxErrorRetry = 0);

        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bkt" }));
        Assert.Equal("InternalError", e.ErrorCode);
        Assert.Equal(HttpStatusCode.InternalServerError, e.StatusCode);
        using var json = await endpoint.SendSignedAsync(HttpMethod.Get, "/x", service: "testsvc");
        Assert.Equal(HttpStatusCode.InternalServerError, json.StatusCode);
        Assert.Equal("InternalServerException", json.Headers.GetValues("x-amzn-ErrorType").Single());
    }

    [Fact]
    public async Task DropConnectionRateOne_ClientSeesAConnectionError()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");
        endpoint.Server.Knobs.Set(new Knobs.Knobs { DropConnectionRate = new() { ["s3:ListObjectsV2"] = 1.0 } });

        var e = await Assert.ThrowsAnyAsync<Exception>(() => endpoint.SendSignedAsync(HttpMethod.Get, "/bkt?list-type=2"));
        Assert.True(e is HttpRequestException or IOException, e.GetType().FullName);
        Assert.Equal(1, endpoint.Server.Context.Stats.Snapshot()["s3:ListObjectsV2"].DroppedConnections);

        using var other = await endpoint.SendSignedAsync(HttpMethod.Head, "/bkt");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Seed_MakesFaultSequencesReproducible()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.Server.Context.S3.CreateBucket("bkt");

        async Task<string> RunAsync(int seed)
        {
            endpoint.Server.Knobs.Set(new Knobs.Knobs { Seed = seed, ThrottleRate = new() { ["s3:HeadBucket"] = 0.5 } });
            var pattern = new StringBuilder();
            for (var i = 0; i < 40; i++)
            {
                using var response = await endpoint.SendSignedAsync(HttpMethod.Head, "/bkt");
                pattern.Append(response.StatusCode == HttpStatusCode.OK ? '.' : 'T');
            }
            return pattern.ToString();
        }

        var first = await RunAsync(7);
        var again = await RunAsync(7);
        var other = await RunAsync(8);
        Assert.Equal(first, again);
        Assert.Contains('T', first);
        Assert.Contains('.', first);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task AdminApi_GetsAndPutsKnobsAndTheyPersistAcrossRestart()
    {
        var dir = TestEndpoint.NewDataDirectory();
        await using (var endpoint = await TestEndpoint.StartAsync(dataDirectory: dir))
        {
            using var health = await endpoint.Http.GetAsync("/_admin/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);

            var knobs = new Knobs.Knobs { Seed = 42, ThrottleRate = new() { ["bedrock:InvokeModel"] = 0.25 } };
            knobs.Bedrock.ImportDurationMs = 10;
            knobs.Bedrock.IgnoreStop = true;
            using var put = await endpoint.Http.PutAsync("/_admin/knobs", new StringContent(KnobStore.Serialize(knobs), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            Assert.Equal(42, endpoint.Server.Knobs.Current.Seed);

            using var bad = await endpoint.Http.PutAsync("/_admin/knobs", new StringContent("{not json", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            using var outOfRange = await endpoint.Http.PutAsync("/_admin/knobs", new StringContent("{\"seed\":1,\"throttleRate\":{\"s3\":1.5}}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, outOfRange.StatusCode);
            Assert.Contains("throttleRate", await outOfRange.Content.ReadAsStringAsync());
            Assert.Equal(42, endpoint.Server.Knobs.Current.Seed);
        }

        await using (var restarted = await TestEndpoint.StartAsync(dataDirectory: dir))
        {
            var json = await restarted.Http.GetStringAsync("/_admin/knobs");
            var knobs = KnobStore.Deserialize(json);
            Assert.Equal(42, knobs.Seed);
            Assert.Equal(0.25, knobs.ThrottleRate["bedrock:InvokeModel"]);
            Assert.Equal(10, knobs.Bedrock.ImportDurationMs);
            Assert.True(knobs.Bedrock.IgnoreStop);
        }
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task ConfigFile_SetsKnobsAndCredentials()
    {
        var dir = TestEndpoint.NewDataDirectory();
        var config = Path.Combine(dir, "endpoint.json");
        await File.WriteAllTextAsync(config, """
            {
              "credentials": [ { "accessKeyId": "AKIDFROMCONFIG", "secretAccessKey": "config-secret" } ],
              "knobs": { "seed": 3, "latencyMs": { "s3": 1 }, "bedrock": { "perTokenLatencyMs": 20, "modelNotReadyAfterImportMs": 500 } }
            }
            """);
        try
        {
            await using var endpoint = await TestEndpoint.StartAsync(o => { o.ConfigFile = config; o.Delay = (_, _) => Task.CompletedTask; }, dir);
            Assert.Equal("AKIDFROMCONFIG", endpoint.Server.AccessKeyId);
            Assert.Equal(3, endpoint.Server.Knobs.Current.Seed);
            Assert.Equal(20, endpoint.Server.Knobs.Current.Bedrock.PerTokenLatencyMs);
            Assert.Equal(500, endpoint.Server.Knobs.Current.Bedrock.ModelNotReadyAfterImportMs);
            using var s3 = endpoint.S3();
            await s3.PutBucketAsync("bkt");
            Assert.Equal(1, endpoint.Server.Context.Stats.Snapshot()["s3:CreateBucket"].InjectedLatencyMs);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ConfigFile_WithInvalidKnobs_IsRefusedAtStart()
    {
        var dir = TestEndpoint.NewDataDirectory();
        try
        {
            var config = Path.Combine(dir, "endpoint.json");
            await File.WriteAllTextAsync(config, """{ "knobs": { "internalErrorRate": { "*": -0.5 } } }""");
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TestEndpoint.StartAsync(o => o.ConfigFile = config, dir));
            Assert.Contains("internalErrorRate", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task StatsEndpoint_CountsCallsPerOperation()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        await s3.PutBucketAsync("bkt");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bkt", Key = "k", ContentBody = "x" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bkt", Key = "k2", ContentBody = "y" });

        using var document = JsonDocument.Parse(await endpoint.Http.GetStringAsync("/_admin/stats"));
        var operations = document.RootElement.GetProperty("operations");
        Assert.Equal(2, operations.GetProperty("s3:PutObject").GetProperty("calls").GetInt32());
        Assert.Equal(1, operations.GetProperty("s3:CreateBucket").GetProperty("calls").GetInt32());

        using var reset = await endpoint.Http.DeleteAsync("/_admin/stats");
        Assert.Empty(endpoint.Server.Context.Stats.Snapshot());
    }

    [Fact]
    public void ScopedLookup_PrefersOperationThenServiceThenStar()
    {
        var knobs = new Knobs.Knobs { ThrottleRate = new() { ["*"] = 0.1, ["s3"] = 0.2, ["s3:PutObject"] = 0.3 } };
        Assert.Equal(0.3, knobs.ThrottleRateFor("s3", "PutObject"));
        Assert.Equal(0.2, knobs.ThrottleRateFor("s3", "GetObject"));
        Assert.Equal(0.1, knobs.ThrottleRateFor("bedrock", "InvokeModel"));
    }

    [Fact]
    public async Task NonLoopbackBind_IsRefusedWithoutTheExplicitFlag()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TestEndpoint.StartAsync(o => o.ListenAddress = IPAddress.Any));
        Assert.Contains("--allow-remote", e.Message);
    }
}

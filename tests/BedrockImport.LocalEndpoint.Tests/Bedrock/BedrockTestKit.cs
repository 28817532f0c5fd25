using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.S3.Model;
using BedrockImport.Engine.EventStream;
using BedrockImport.Engine.ModelPackage;
using EndpointKnobs = BedrockImport.LocalEndpoint.Knobs.Knobs;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

/// <summary>A clock the tests move by hand (SigV4 skew stays far below 15 minutes).</summary>
internal sealed class ManualClock : TimeProvider
{
    private TimeSpan _offset;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + _offset;

    public void Advance(TimeSpan by) => _offset += by;
}

/// <summary>An in-process endpoint plus helpers for Bedrock calls: S3 uploads through AWSSDK.S3, signed Bedrock requests.</summary>
internal sealed class BedrockTestEndpoint : IAsyncDisposable
{
    public const string RoleArn = "arn:aws:iam::123456789012:role/BedrockImport";

    private readonly List<string> _tempFolders = new();

    private BedrockTestEndpoint(TestEndpoint endpoint, ManualClock clock, List<TimeSpan> delays)
    {
        Endpoint = endpoint;
        Clock = clock;
        Delays = delays;
    }

    public TestEndpoint Endpoint { get; }
    public ManualClock Clock { get; }
    /// <summary>Every knob delay the server asked for (recorded, not slept).</summary>
    public List<TimeSpan> Delays { get; }

    public static async Task<BedrockTestEndpoint> StartAsync(Action<EndpointKnobs> knobs = null, string dataDirectory = null, ManualClock clock = null)
    {
        clock ??= new ManualClock();
        var delays = new List<TimeSpan>();
        var endpoint = await TestEndpoint.StartAsync(o =>
        {
            o.Clock = clock;
            o.Delay = (delay, _) =>
            {
                lock (delays) delays.Add(delay);
                return Task.CompletedTask;
            };
        }, dataDirectory);
        var test = new BedrockTestEndpoint(endpoint, clock, delays);
        test.SetKnobs(knobs);
        return test;
    }

    /// <summary>Replaces the knobs: import jobs finish at once unless configure says otherwise.</summary>
    public void SetKnobs(Action<EndpointKnobs> configure)
    {
        var knobs = new EndpointKnobs();
        knobs.Bedrock.ImportDurationMs = 0;
        configure?.Invoke(knobs);
        Endpoint.Server.Knobs.Set(knobs);
    }

    /// <summary>Writes a SyntheticModel and uploads it with AWSSDK.S3; returns its s3:// URI.</summary>
    public async Task<string> UploadModelAsync(SyntheticModelOptions options = null, string bucket = "models", string prefix = null)
    {
        prefix ??= "m-" + Guid.NewGuid().ToString("N").Substring(0, 8);
        var folder = Path.Combine(Path.GetTempPath(), "bi-bedrock-tests", Guid.NewGuid().ToString("N"));
        _tempFolders.Add(folder);
        var info = SyntheticModel.Write(folder, options ?? new SyntheticModelOptions());
        using var s3 = Endpoint.S3();
        try { await s3.PutBucketAsync(bucket); } catch (Amazon.S3.AmazonS3Exception) { }
        foreach (var file in info.Files)
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = prefix + "/" + file, FilePath = Path.Combine(folder, file) });
        return $"s3://{bucket}/{prefix}/";
    }

    /// <summary>A signed Bedrock call; <paramref name="completion"/> ResponseHeadersRead returns before the body is read
    /// (to read a stream while the server still writes it).</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object body = null,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var bytes = body is null ? null : body as byte[] ?? Encoding.UTF8.GetBytes(body as string ?? JsonSerializer.Serialize(body));
        var headers = bytes is null ? null : new Dictionary<string, string> { ["Content-Type"] = "application/json" };
        return Endpoint.SendSignedAsync(method, path, bytes, headers, service: "bedrock", completion: completion);
    }

    public Task<HttpResponseMessage> CreateJobAsync(string s3Uri, string jobName = null, string modelName = null, string token = null)
    {
        var body = new Dictionary<string, object>
        {
            ["jobName"] = jobName ?? "job-" + Guid.NewGuid().ToString("N").Substring(0, 8),
            ["importedModelName"] = modelName ?? "model-" + Guid.NewGuid().ToString("N").Substring(0, 8),
            ["roleArn"] = RoleArn,
            ["modelDataSource"] = new { s3DataSource = new { s3Uri } },
        };
        if (token is not null) body["clientRequestToken"] = token;
        return SendAsync(HttpMethod.Post, "model-import-jobs", body);
    }

    public async Task<JsonElement> GetJobAsync(string jobIdentifier)
    {
        var response = await SendAsync(HttpMethod.Get, "model-import-jobs/" + Uri.EscapeDataString(jobIdentifier));
        return await JsonAsync(response, HttpStatusCode.OK);
    }

    /// <summary>Imports a model and returns (jobArn, job JSON once terminal). The import-duration knob must be 0.</summary>
    public async Task<(string JobArn, JsonElement Job)> ImportAsync(string s3Uri, string modelName = null)
    {
        var created = await JsonAsync(await CreateJobAsync(s3Uri, modelName: modelName), HttpStatusCode.Created);
        var jobArn = created.GetProperty("jobArn").GetString();
        return (jobArn, await GetJobAsync(jobArn));
    }

    /// <summary>Uploads a valid model, imports it and returns the imported-model ARN.</summary>
    public async Task<string> ImportModelAsync(SyntheticModelOptions options = null)
    {
        var (_, job) = await ImportAsync(await UploadModelAsync(options));
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        return job.GetProperty("importedModelArn").GetString();
    }

    public Task<HttpResponseMessage> InvokeAsync(string modelId, object body, bool stream = false)
        => SendAsync(HttpMethod.Post, "model/" + Uri.EscapeDataString(modelId) + (stream ? "/invoke-with-response-stream" : "/invoke"), body);

    public async Task<List<EventStreamMessage>> InvokeStreamAsync(string modelId, object body)
        => await ReadEventStreamAsync(await InvokeAsync(modelId, body, stream: true));

    /// <summary>Every frame of a 200 event-stream answer.</summary>
    public static async Task<List<EventStreamMessage>> ReadEventStreamAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(EventStreamFormat.ContentType, response.Content.Headers.ContentType?.MediaType);
        var messages = new List<EventStreamMessage>();
        await foreach (var message in EventStreamDecoder.ReadAllAsync(await response.Content.ReadAsStreamAsync()))
            messages.Add(message);
        return messages;
    }

    /// <summary>The model JSON inside a chunk event ({"bytes": base64}).</summary>
    public static JsonElement ChunkJson(EventStreamMessage message)
    {
        Assert.Equal("event", message.GetString(":message-type"));
        Assert.Equal("chunk", message.GetString(":event-type"));
        using var outer = JsonDocument.Parse(message.Payload);
        var bytes = Convert.FromBase64String(outer.RootElement.GetProperty("bytes").GetString());
        return JsonDocument.Parse(bytes).RootElement.Clone();
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
    }

    /// <summary>Asserts an AWS JSON error: status, x-amzn-ErrorType and a message; returns the message.</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response, int status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal(code, response.Headers.GetValues("x-amzn-ErrorType").Single());
        var message = JsonDocument.Parse(text).RootElement.GetProperty("message").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message;
    }

    public async ValueTask DisposeAsync()
    {
        await Endpoint.DisposeAsync();
        foreach (var folder in _tempFolders)
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }
}

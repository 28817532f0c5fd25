using System.Net;
using System.Text.Json;
using BedrockImport.Engine.ModelPackage;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

/// <summary>Each Bedrock knob, on its own endpoint (knobs are global to a server).</summary>
public class KnobTests
{
    private static readonly object ShortPrompt = new { prompt = "Tell me about imported models", max_gen_len = 100 };

    [Fact]
    public async Task Import_duration_keeps_the_job_in_progress_until_it_elapses()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.Bedrock.ImportDurationMs = 60_000);
        var created = await BedrockTestEndpoint.JsonAsync(await endpoint.CreateJobAsync(await endpoint.UploadModelAsync()), HttpStatusCode.Created);
        var jobArn = created.GetProperty("jobArn").GetString();

        var running = await endpoint.GetJobAsync(jobArn);
        Assert.Equal("InProgress", running.GetProperty("status").GetString());
        Assert.False(running.TryGetProperty("endTime", out _));
        Assert.False(running.TryGetProperty("importedModelArn", out _));
        var models = await BedrockTestEndpoint.JsonAsync(await endpoint.SendAsync(HttpMethod.Get, "imported-models"), HttpStatusCode.OK);
        Assert.Empty(models.GetProperty("modelSummaries").EnumerateArray());

        endpoint.Clock.Advance(TimeSpan.FromSeconds(61));
        var done = await endpoint.GetJobAsync(jobArn);
        Assert.Equal("Completed", done.GetProperty("status").GetString());
        Assert.True(done.TryGetProperty("endTime", out _));
        models = await BedrockTestEndpoint.JsonAsync(await endpoint.SendAsync(HttpMethod.Get, "imported-models"), HttpStatusCode.OK);
        Assert.Single(models.GetProperty("modelSummaries").EnumerateArray());
    }

    [Fact]
    public async Task Jobs_survive_a_restart_and_finish_from_their_timestamps()
    {
        var data = TestEndpoint.NewDataDirectory();
        var clock = new ManualClock();
        string jobArn;
        await using (var first = await BedrockTestEndpoint.StartAsync(k => k.Bedrock.ImportDurationMs = 30_000, data, clock))
        {
            var created = await BedrockTestEndpoint.JsonAsync(await first.CreateJobAsync(await first.UploadModelAsync()), HttpStatusCode.Created);
            jobArn = created.GetProperty("jobArn").GetString();
        }

        clock.Advance(TimeSpan.FromSeconds(31));
        await using var second = await BedrockTestEndpoint.StartAsync(k => k.Bedrock.ImportDurationMs = 30_000, data, clock);
        var job = await second.GetJobAsync(jobArn);
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        var modelArn = job.GetProperty("importedModelArn").GetString();
        await BedrockTestEndpoint.JsonAsync(await second.InvokeAsync(modelArn, ShortPrompt), HttpStatusCode.OK);
        Directory.Delete(data, recursive: true);
    }

    [Fact]
    public async Task Forced_import_failure_fails_a_valid_model_with_that_message()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.Bedrock.ForcedImportFailure = "Injected: the import job failed.");
        var (_, job) = await endpoint.ImportAsync(await endpoint.UploadModelAsync());
        Assert.Equal("Failed", job.GetProperty("status").GetString());
        Assert.Equal("Injected: the import job failed.", job.GetProperty("failureMessage").GetString());
    }

    [Fact]
    public async Task Import_size_limit_knob_fails_an_oversized_model()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.Bedrock.ImportMaxTotalBytes = 10_000);
        var (_, job) = await endpoint.ImportAsync(await endpoint.UploadModelAsync());
        Assert.Equal("Failed", job.GetProperty("status").GetString());
        Assert.Contains("over the 10000 bytes limit", job.GetProperty("failureMessage").GetString());
    }

    [Fact]
    public async Task Model_is_not_ready_for_a_window_after_import()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.Bedrock.ModelNotReadyAfterImportMs = 10_000);
        var model = await endpoint.ImportModelAsync();

        var message = await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(model, ShortPrompt), 429, "ModelNotReadyException");
        Assert.Equal("Model is not ready for inference. Wait and try your request again.", message);
        await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(model, ShortPrompt, stream: true), 429, "ModelNotReadyException");

        endpoint.Clock.Advance(TimeSpan.FromSeconds(11));
        await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(model, ShortPrompt), HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_idle_model_goes_cold_for_a_window()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k =>
        {
            k.Bedrock.IdleBeforeColdStartMs = 60_000;
            k.Bedrock.ModelNotReadyAfterIdleMs = 5_000;
        });
        var model = await endpoint.ImportModelAsync();
        await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(model, ShortPrompt), HttpStatusCode.OK);

        endpoint.Clock.Advance(TimeSpan.FromSeconds(30));
        await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(model, ShortPrompt), HttpStatusCode.OK);

        endpoint.Clock.Advance(TimeSpan.FromSeconds(61));
        await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(model, ShortPrompt), 429, "ModelNotReadyException");
        endpoint.Clock.Advance(TimeSpan.FromSeconds(3));
        await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(model, ShortPrompt), 429, "ModelNotReadyException");
        endpoint.Clock.Advance(TimeSpan.FromSeconds(3));
        await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(model, ShortPrompt), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Per_token_latency_is_waited_once_per_generated_token()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.Bedrock.PerTokenLatencyMs = 7);
        var model = await endpoint.ImportModelAsync();
        lock (endpoint.Delays) endpoint.Delays.Clear();

        var body = await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(model, ShortPrompt), HttpStatusCode.OK);
        var tokens = body.GetProperty("generation_token_count").GetInt32();
        Assert.Equal(TimeSpan.FromMilliseconds(7 * tokens), Assert.Single(endpoint.Delays));

        lock (endpoint.Delays) endpoint.Delays.Clear();
        var chunks = await endpoint.InvokeStreamAsync(model, ShortPrompt);
        Assert.Equal(tokens, chunks.Count);
        Assert.Equal(Enumerable.Repeat(TimeSpan.FromMilliseconds(7), tokens), endpoint.Delays);
    }

    [Fact]
    public async Task Operation_latency_throttling_500s_and_drops_apply_to_bedrock_operations()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync();
        var model = await endpoint.ImportModelAsync();

        endpoint.SetKnobs(k => k.LatencyMs["bedrock:InvokeModel"] = 250);
        lock (endpoint.Delays) endpoint.Delays.Clear();
        await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(model, ShortPrompt), HttpStatusCode.OK);
        Assert.Contains(TimeSpan.FromMilliseconds(250), endpoint.Delays);

        endpoint.SetKnobs(k => k.ThrottleRate["bedrock:InvokeModel"] = 1.0);
        await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(model, ShortPrompt), 429, "ThrottlingException");
        await BedrockTestEndpoint.JsonAsync(await endpoint.SendAsync(HttpMethod.Get, "imported-models"), HttpStatusCode.OK);

        endpoint.SetKnobs(k => k.InternalErrorRate["bedrock:GetModelImportJob"] = 1.0);
        await BedrockTestEndpoint.ErrorAsync(await endpoint.SendAsync(HttpMethod.Get, "model-import-jobs/anything"), 500, "InternalServerException");

        endpoint.SetKnobs(k => k.DropConnectionRate["bedrock:InvokeModelWithResponseStream"] = 1.0);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => endpoint.InvokeAsync(model, ShortPrompt, stream: true));
    }

    [Fact]
    public async Task Ignore_stop_reproduces_the_field_report()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync();
        var model = await endpoint.ImportModelAsync(new SyntheticModelOptions
        {
            ExtraFiles = { ["responses.jsonl"] = "{\"contains\": \"最高責任者\", \"response\": \"社長\"}\n" },
        });
        var request = new { prompt = "質問：会社の最高責任者を何というか？\n<answer>", max_gen_len = 64, stop = new[] { "</answer>" } };

        var honoured = await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(model, request), HttpStatusCode.OK);
        Assert.Equal("社長", honoured.GetProperty("generation").GetString());
        Assert.Equal("stop", honoured.GetProperty("stop_reason").GetString());

        endpoint.SetKnobs(k => k.Bedrock.IgnoreStop = true);
        var ignored = await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(model, request), HttpStatusCode.OK);
        Assert.StartsWith("社長</answer>", ignored.GetProperty("generation").GetString());
        Assert.Equal("length", ignored.GetProperty("stop_reason").GetString());
        Assert.Equal(64, ignored.GetProperty("generation_token_count").GetInt32());
    }

    [Fact]
    public async Task Seed_changes_the_generated_text_deterministically()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.Seed = 1);
        var model = await endpoint.ImportModelAsync();
        async Task<string> Generate() => (await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(model, ShortPrompt), HttpStatusCode.OK)).GetProperty("generation").GetString();

        var seed1 = await Generate();
        endpoint.SetKnobs(k => k.Seed = 2);
        var seed2 = await Generate();
        endpoint.SetKnobs(k => k.Seed = 1);
        var seed1Again = await Generate();

        Assert.NotEqual(seed1, seed2);
        Assert.Equal(seed1, seed1Again);
    }

    [Theory]
    [InlineData("modelStreamErrorException")]
    [InlineData("throttlingException")]
    [InlineData("internalServerException")]
    public async Task Stream_fault_sends_an_exception_frame_after_n_chunks(string type)
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k =>
        {
            k.Bedrock.StreamFaultAfterChunks = 3;
            k.Bedrock.StreamFaultType = type;
        });
        var model = await endpoint.ImportModelAsync();

        var messages = await endpoint.InvokeStreamAsync(model, ShortPrompt);

        Assert.Equal(4, messages.Count);
        Assert.All(messages.Take(3), m => BedrockTestEndpoint.ChunkJson(m));
        var fault = messages[3];
        Assert.Equal("exception", fault.GetString(":message-type"));
        Assert.Equal(type, fault.GetString(":exception-type"));
        using var payload = JsonDocument.Parse(fault.Payload);
        Assert.False(string.IsNullOrEmpty(payload.RootElement.GetProperty("message").GetString()));
        if (type == "modelStreamErrorException")
            Assert.Equal(500, payload.RootElement.GetProperty("originalStatusCode").GetInt32());
    }

    [Fact]
    public async Task Stream_fault_rate_zero_leaves_streams_whole()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k =>
        {
            k.Bedrock.StreamFaultAfterChunks = 1;
            k.Bedrock.StreamFaultRate = 0;
        });
        var model = await endpoint.ImportModelAsync();
        var messages = await endpoint.InvokeStreamAsync(model, ShortPrompt);
        Assert.All(messages, m => Assert.Equal("event", m.GetString(":message-type")));
        Assert.True(BedrockTestEndpoint.ChunkJson(messages[^1]).TryGetProperty("amazon-bedrock-invocationMetrics", out _));
    }
}

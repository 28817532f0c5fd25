using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.Engine.LocalEndpoint;
using BedrockImport.Inference.Model;
using BedrockImport.LocalEndpoint.Bedrock;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

/// <summary>The weights engine under strain: safetensors cut, grown, swapped or disagreeing with config.json after the
/// import or under a loaded model, and a memory limit below the model's needs. Each is answered with its specific error
/// (424 ModelErrorException under bedrock.engine "weights", and the /_admin/models report), and the endpoint goes on
/// serving the other model. A read of a mapped page past a cut file's end is a SIGBUS that ends the process: the test
/// host here, the endpoint's own process in the last test.</summary>
public sealed partial class WeightsEngineTests
{
    private const string EmbeddingShard = "model-00001-of-00005.safetensors";
    private const string LmHeadShard = "model-00004-of-00005.safetensors";

    private sealed record ImportedFixture(string ModelArn, string JobId, string S3Prefix);

    private static async Task<ImportedFixture> ImportFixtureWithJobAsync(BedrockTestEndpoint endpoint, string model)
    {
        var prefix = model + "-" + Guid.NewGuid().ToString("N").Substring(0, 8);
        using var s3 = endpoint.Endpoint.S3();
        try { await s3.PutBucketAsync("models"); } catch (AmazonS3Exception) { }
        foreach (var file in Directory.GetFiles(Path.Combine(FixturesFolder, model)))
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "models", Key = prefix + "/" + Path.GetFileName(file), FilePath = file });
        var (jobArn, job) = await endpoint.ImportAsync($"s3://models/{prefix}/");
        Assert.True("Completed" == job.GetProperty("status").GetString(), job.ToString());
        return new ImportedFixture(job.GetProperty("importedModelArn").GetString(), jobArn.Substring(jobArn.LastIndexOf('/') + 1), prefix);
    }

    /// <summary>Where the endpoint's S3 store keeps an object's bytes (the file the engine's folder links to).</summary>
    private static string S3DataFile(BedrockTestEndpoint endpoint, string key)
    {
        var path = Path.Combine(endpoint.Endpoint.DataDirectory, "s3", "buckets", "models", "objects",
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))) + ".data");
        Assert.True(File.Exists(path), path);
        return path;
    }

    private static string EngineFile(BedrockTestEndpoint endpoint, ImportedFixture fixture, string name)
    {
        var path = Path.Combine(endpoint.Endpoint.DataDirectory, "bedrock", "engine", fixture.JobId, name);
        Assert.True(File.Exists(path), path);
        return path;
    }

    private static void SetLength(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        stream.SetLength(length);
    }

    private static async Task<JsonElement> ReportOfAsync(BedrockTestEndpoint endpoint, string arn)
    {
        var report = await BedrockTestEndpoint.JsonAsync(await endpoint.Endpoint.Http.GetAsync("/_admin/models"), HttpStatusCode.OK);
        return report.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("modelArn").GetString() == arn);
    }

    private static async Task AnswersAsync(BedrockTestEndpoint endpoint, string arn)
    {
        var answer = await BedrockTestEndpoint.JsonAsync(await UntilLoadedAsync(() => endpoint.InvokeAsync(arn, CompletionBody("Hello", openAi: false))), HttpStatusCode.OK);
        Assert.InRange(answer.GetProperty("generation_token_count").GetInt32(), 1, ReferenceTokens);
    }

    [Fact]
    public async Task A_shard_cut_after_the_import_is_refused_naming_file_and_tensor_and_the_other_model_answers()
    {
        await using var endpoint = await StartAsync();
        var broken = await ImportFixtureWithJobAsync(endpoint, "llama");
        var other = await ImportFixtureWithJobAsync(endpoint, "qwen2");
        var s3File = S3DataFile(endpoint, broken.S3Prefix + "/" + EmbeddingShard);
        SetLength(s3File, new FileInfo(s3File).Length - 4096);

        var message = await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(broken.ModelArn, CompletionBody("Hello", openAi: false)), 424, "ModelErrorException");
        Assert.Contains(EmbeddingShard + ": tensor model.embed_tokens.weight", message);
        Assert.Contains("outside the file", message);
        var report = await ReportOfAsync(endpoint, broken.ModelArn);
        Assert.Equal("none", report.GetProperty("engine").GetString());
        Assert.Equal("load-failed", report.GetProperty("state").GetString());
        Assert.Contains(EmbeddingShard, report.GetProperty("reason").GetString());

        await AnswersAsync(endpoint, other.ModelArn);
    }

    [Fact]
    public async Task A_shard_cut_under_the_loaded_model_unloads_it_and_is_refused_and_the_other_model_answers()
    {
        await using var endpoint = await StartAsync();
        var broken = await ImportFixtureWithJobAsync(endpoint, "llama");
        var other = await ImportFixtureWithJobAsync(endpoint, "qwen2");
        await AnswersAsync(endpoint, broken.ModelArn);
        var shard = EngineFile(endpoint, broken, LmHeadShard);
        long length = new FileInfo(shard).Length;
        SetLength(shard, length / 2);

        var message = await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(broken.ModelArn, CompletionBody("Hello", openAi: false)), 424, "ModelErrorException");
        Assert.Contains(LmHeadShard + " changed since it was mapped: it was " + length + " bytes and is now " + length / 2, message);
        Assert.Contains("no longer loads", message);
        Assert.Contains("lm_head.weight", message);
        Assert.Equal("load-failed", (await ReportOfAsync(endpoint, broken.ModelArn)).GetProperty("state").GetString());
        // Refused again without a reload, and the other model is unaffected.
        await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(broken.ModelArn, CompletionBody("Hello", openAi: false)), 424, "ModelErrorException");
        await AnswersAsync(endpoint, other.ModelArn);
    }

    [Fact]
    public async Task A_shard_cut_while_the_model_generates_stops_the_generation_before_the_next_forward_pass()
    {
        await using var endpoint = await StartAsync();
        var broken = await ImportFixtureWithJobAsync(endpoint, "llama");
        var other = await ImportFixtureWithJobAsync(endpoint, "qwen2");
        await AnswersAsync(endpoint, broken.ModelArn);
        var shard = EngineFile(endpoint, broken, LmHeadShard);
        var engine = WeightsEngine.Of(endpoint.Endpoint.Server.Context);
        // lm_head is read whole by every forward pass: without the check, the next one reads pages past the cut end.
        engine.TokenGenerated = (count, _) =>
        {
            if (count == 3) SetLength(shard, 8192);
        };
        try
        {
            var message = await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(broken.ModelArn, CompletionBody("Hello", openAi: false)), 424, "ModelErrorException");
            Assert.Contains(LmHeadShard + " changed since it was mapped", message);
        }
        finally
        {
            engine.TokenGenerated = null;
        }
        var again = await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(broken.ModelArn, CompletionBody("Hello", openAi: false)), 424, "ModelErrorException");
        Assert.Contains(LmHeadShard, again);
        await AnswersAsync(endpoint, other.ModelArn);
    }

    [Fact]
    public async Task A_shard_grown_under_the_loaded_model_is_refused_as_bytes_its_header_does_not_cover()
    {
        await using var endpoint = await StartAsync();
        var grown = await ImportFixtureWithJobAsync(endpoint, "llama");
        await AnswersAsync(endpoint, grown.ModelArn);
        var shard = EngineFile(endpoint, grown, EmbeddingShard);
        using (var stream = new FileStream(shard, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
            stream.Write(new byte[4096]);

        var message = await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(grown.ModelArn, CompletionBody("Hello", openAi: false)), 424, "ModelErrorException");
        Assert.Contains(EmbeddingShard + " changed since it was mapped", message);
        Assert.Contains("cut or grown", message);
    }

    [Fact]
    public async Task An_s3_object_replaced_after_the_model_loaded_does_not_change_the_mapped_model()
    {
        await using var endpoint = await StartAsync();
        var model = await ImportFixtureWithJobAsync(endpoint, "llama");
        await AnswersAsync(endpoint, model.ModelArn);
        var engineFile = EngineFile(endpoint, model, EmbeddingShard);
        long length = new FileInfo(engineFile).Length;
        // PutObject moves a new file over the object's name: the engine's hard link keeps the imported bytes.
        using (var s3 = endpoint.Endpoint.S3())
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "models", Key = model.S3Prefix + "/" + EmbeddingShard, ContentBody = "short" });

        Assert.Equal(length, new FileInfo(engineFile).Length);
        var answer = await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(model.ModelArn, CompletionBody("Hello", openAi: false)), HttpStatusCode.OK);
        Assert.InRange(answer.GetProperty("generation_token_count").GetInt32(), 1, ReferenceTokens);
    }

    [Fact]
    public async Task A_shard_swapped_for_one_with_other_tensors_is_refused_naming_the_missing_tensor()
    {
        await using var endpoint = await StartAsync();
        var swapped = await ImportFixtureWithJobAsync(endpoint, "llama");
        using (var s3 = endpoint.Endpoint.S3())
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = "models", Key = swapped.S3Prefix + "/" + EmbeddingShard,
                FilePath = Path.Combine(FixturesFolder, "llama", "model-00002-of-00005.safetensors"),
            });

        var message = await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(swapped.ModelArn, CompletionBody("Hello", openAi: false)), 424, "ModelErrorException");
        Assert.Contains("model.embed_tokens.weight in " + EmbeddingShard + ", whose header has no such tensor", message);
    }

    [Fact]
    public async Task A_tensor_shape_that_disagrees_with_config_json_is_refused_naming_file_tensor_and_shapes()
    {
        await using var endpoint = await StartAsync();
        var mismatched = await ImportFixtureWithJobAsync(endpoint, "llama");
        var config = File.ReadAllText(Path.Combine(FixturesFolder, "llama", "config.json")).Replace("\"vocab_size\": 594", "\"vocab_size\": 600");
        using (var s3 = endpoint.Endpoint.S3())
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "models", Key = mismatched.S3Prefix + "/config.json", ContentBody = config });

        var message = await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(mismatched.ModelArn, CompletionBody("Hello", openAi: false)), 424, "ModelErrorException");
        Assert.Contains(EmbeddingShard + ": tensor model.embed_tokens.weight has shape [594, 64], config.json implies [600, 64]", message);
    }

    [Fact]
    public async Task A_model_over_the_memory_limit_is_refused_with_the_figures_and_the_other_model_answers()
    {
        var llamaBytes = TransformerModel.EstimateMemory(ModelConfig.Load(Path.Combine(FixturesFolder, "llama")),
            Directory.GetFiles(Path.Combine(FixturesFolder, "llama"), "*.safetensors").Sum(f => new FileInfo(f).Length)).TotalBytes;
        var qwenBytes = TransformerModel.EstimateMemory(ModelConfig.Load(Path.Combine(FixturesFolder, "qwen2")),
            Directory.GetFiles(Path.Combine(FixturesFolder, "qwen2"), "*.safetensors").Sum(f => new FileInfo(f).Length)).TotalBytes;
        // Room for either model alone, not for both.
        var limit = Math.Max(llamaBytes, qwenBytes) + Math.Min(llamaBytes, qwenBytes) / 2;
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k =>
        {
            k.Bedrock.Engine = "weights";
            k.Bedrock.EngineMemoryLimitBytes = limit;
        });
        var llama = await ImportFixtureWithJobAsync(endpoint, "llama");
        var qwen = await ImportFixtureWithJobAsync(endpoint, "qwen2");
        await AnswersAsync(endpoint, llama.ModelArn);

        var message = await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(qwen.ModelArn, CompletionBody("Hello", openAi: false)), 424, "ModelErrorException");
        Assert.Contains("the model needs " + qwenBytes + " bytes of memory", message);
        Assert.Contains("beside the " + llamaBytes + " bytes of the models already loaded", message);
        Assert.Contains("more than the limit bedrock.engineMemoryLimitBytes of " + limit + " bytes", message);
        var report = await ReportOfAsync(endpoint, qwen.ModelArn);
        Assert.Equal("too-large", report.GetProperty("state").GetString());
        Assert.Contains(qwenBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), report.GetProperty("reason").GetString());
        await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(llama.ModelArn, CompletionBody("Hello", openAi: false)), HttpStatusCode.OK);

        // Under "auto" the stand-in answers it; with the limit raised it loads.
        endpoint.SetKnobs(k => k.Bedrock.EngineMemoryLimitBytes = limit);
        var standIn = await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(qwen.ModelArn, CompletionBody("Hello", openAi: false)), HttpStatusCode.OK);
        Assert.False(string.IsNullOrEmpty(standIn.GetProperty("generation").GetString()));
        Assert.Equal("stand-in", (await ReportOfAsync(endpoint, qwen.ModelArn)).GetProperty("engine").GetString());
        endpoint.SetKnobs(k =>
        {
            k.Bedrock.Engine = "weights";
            k.Bedrock.EngineMemoryLimitBytes = llamaBytes + qwenBytes;
        });
        await AnswersAsync(endpoint, qwen.ModelArn);
    }

    [Fact]
    public void A_negative_memory_limit_is_refused()
    {
        var knobs = new BedrockImport.LocalEndpoint.Knobs.Knobs();
        knobs.Bedrock.EngineMemoryLimitBytes = -1;
        Assert.Contains(knobs.Validate(), p => p.Contains("bedrock.engineMemoryLimitBytes", StringComparison.Ordinal));
    }

    /// <summary>The endpoint as its own process (as Start-BedrockLocalEndpoint runs it): a SIGBUS there would show as a
    /// process that exited and a request that fails to connect.</summary>
    [Fact]
    public async Task The_endpoint_process_survives_a_shard_cut_under_a_loaded_model_and_serves_the_other()
    {
        var data = TestEndpoint.NewDataDirectory();
        var config = Path.Combine(data, "..", Path.GetFileName(data) + "-knobs.json");
        File.WriteAllText(config, "{\"knobs\": {\"bedrock\": {\"engine\": \"weights\", \"importDurationMs\": 0}}}");
        var info = await LocalEndpointProcess.StartAsync(Path.Combine(AppContext.BaseDirectory, "BedrockImport.LocalEndpoint.dll"), 0, data, config,
            TimeSpan.FromMinutes(2), CancellationToken.None);
        var process = Process.GetProcessById(info.ProcessId);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(info.EndpointUrl + "/") };
            var bearer = new System.Net.NetworkCredential(string.Empty, info.BearerToken).Password;
            async Task<HttpResponseMessage> Bedrock(HttpMethod method, string path, object body = null)
            {
                var request = new HttpRequestMessage(method, path);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
                if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
                return await http.SendAsync(request);
            }
            using var s3 = new AmazonS3Client(new BasicAWSCredentials(info.AccessKey, info.SecretKey),
                new AmazonS3Config { ServiceURL = info.EndpointUrl, ForcePathStyle = true, AuthenticationRegion = info.Region });
            await s3.PutBucketAsync("models");

            async Task<(string Arn, string JobId)> Import(string model)
            {
                foreach (var file in Directory.GetFiles(Path.Combine(FixturesFolder, model)))
                    await s3.PutObjectAsync(new PutObjectRequest { BucketName = "models", Key = model + "/" + Path.GetFileName(file), FilePath = file });
                var created = await BedrockTestEndpoint.JsonAsync(await Bedrock(HttpMethod.Post, "model-import-jobs", new
                {
                    jobName = "job-" + model, importedModelName = "model-" + model, roleArn = BedrockTestEndpoint.RoleArn,
                    modelDataSource = new { s3DataSource = new { s3Uri = $"s3://models/{model}/" } },
                }), HttpStatusCode.Created);
                var jobArn = created.GetProperty("jobArn").GetString();
                JsonElement job;
                for (var attempt = 0; ; attempt++)
                {
                    job = await BedrockTestEndpoint.JsonAsync(await Bedrock(HttpMethod.Get, "model-import-jobs/" + Uri.EscapeDataString(jobArn)), HttpStatusCode.OK);
                    if (job.GetProperty("status").GetString() != "InProgress" || attempt == 600) break;
                    await Task.Delay(50);
                }
                Assert.True("Completed" == job.GetProperty("status").GetString(), job.ToString());
                return (job.GetProperty("importedModelArn").GetString(), jobArn.Substring(jobArn.LastIndexOf('/') + 1));
            }
            Task<HttpResponseMessage> Invoke(string arn) => Bedrock(HttpMethod.Post, "model/" + Uri.EscapeDataString(arn) + "/invoke", CompletionBody("Hello", openAi: false));

            var broken = await Import("llama");
            var other = await Import("qwen2");
            await BedrockTestEndpoint.JsonAsync(await UntilLoadedAsync(() => Invoke(broken.Arn)), HttpStatusCode.OK);
            SetLength(Path.Combine(data, "bedrock", "engine", broken.JobId, LmHeadShard), 4096);

            var message = await BedrockTestEndpoint.ErrorAsync(await Invoke(broken.Arn), 424, "ModelErrorException");
            Assert.Contains(LmHeadShard + " changed since it was mapped", message);
            Assert.False(process.HasExited);
            await BedrockTestEndpoint.JsonAsync(await UntilLoadedAsync(() => Invoke(other.Arn)), HttpStatusCode.OK);
            await BedrockTestEndpoint.ErrorAsync(await Invoke(broken.Arn), 424, "ModelErrorException");
            Assert.False(process.HasExited);
        }
        finally
        {
            LocalEndpointProcess.Stop(info.ProcessId);
            process.WaitForExit(30_000);
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
            File.Delete(config);
        }
    }
}

using System.Net;
using System.Text.Json;
using Amazon.S3.Model;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Inference.Generation;
using BedrockImport.Inference.Model;
using BedrockImport.Inference.Tokenization;
using BedrockImport.LocalEndpoint.Bedrock;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

/// <summary>The bedrock.engine = "weights" knob: the tiny transformers-written fixture models (shared with the inference
/// tests, linked into this project's output) imported into the endpoint and answered by their own weights.</summary>
public sealed partial class WeightsEngineTests
{
    private const int ReferenceTokens = 12;
    private static readonly string FixturesFolder = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private sealed record Reference(string Prompt, int[] InputIds, int[] OutputIds);

    private static Reference ReferenceOf(string model)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixturesFolder, "reference.json")));
        var greedy = document.RootElement.GetProperty("models").GetProperty(model).GetProperty("greedy");
        return new Reference(greedy.GetProperty("prompt").GetString(),
            greedy.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            greedy.GetProperty("output_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }

    private static ModelTokenizer Tokenizer(string model) => ModelTokenizer.Load(Path.Combine(FixturesFolder, model));

    private static Task<BedrockTestEndpoint> StartAsync(int idleEvictMs = 300_000) => BedrockTestEndpoint.StartAsync(k =>
    {
        k.Bedrock.Engine = "weights";
        k.Bedrock.EngineIdleEvictMs = idleEvictMs;
    });

    /// <summary>Uploads a fixture folder (plus extra files) to the endpoint's S3 and imports it; returns the model ARN.</summary>
    private static async Task<string> ImportFixtureAsync(BedrockTestEndpoint endpoint, string model, IDictionary<string, string> extraFiles = null)
    {
        var prefix = model + "-" + Guid.NewGuid().ToString("N").Substring(0, 8);
        using var s3 = endpoint.Endpoint.S3();
        try { await s3.PutBucketAsync("models"); } catch (Amazon.S3.AmazonS3Exception) { }
        foreach (var file in Directory.GetFiles(Path.Combine(FixturesFolder, model)))
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "models", Key = prefix + "/" + Path.GetFileName(file), FilePath = file });
        foreach (var (name, text) in extraFiles ?? new Dictionary<string, string>())
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "models", Key = prefix + "/" + name, ContentBody = text });
        var (_, job) = await endpoint.ImportAsync($"s3://models/{prefix}/");
        Assert.True("Completed" == job.GetProperty("status").GetString(), job.ToString());
        return job.GetProperty("importedModelArn").GetString();
    }

    /// <summary>Sends until the model is loaded: every answer before is 429 ModelNotReadyException, and the first one is.</summary>
    private static async Task<HttpResponseMessage> UntilLoadedAsync(Func<Task<HttpResponseMessage>> send)
    {
        var first = await send();
        await BedrockTestEndpoint.ErrorAsync(first, 429, "ModelNotReadyException");
        for (var attempt = 0; attempt < 600; attempt++)
        {
            await Task.Delay(50);
            var response = await send();
            if (response.StatusCode != (HttpStatusCode)429) return response;
            await BedrockTestEndpoint.ErrorAsync(response, 429, "ModelNotReadyException");
        }
        throw new TimeoutException("the model did not load");
    }

    private static object CompletionBody(string prompt, bool openAi) => openAi
        ? new { prompt, max_tokens = ReferenceTokens, temperature = 0 }
        : new { prompt, max_gen_len = ReferenceTokens, temperature = 0 };

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public async Task Invoke_model_answers_the_reference_greedy_ids_after_a_cold_start(string model)
    {
        var reference = ReferenceOf(model);
        var tokenizer = Tokenizer(model);
        Assert.Equal(reference.InputIds, tokenizer.Encode(reference.Prompt, addSpecialTokens: true));
        var expected = tokenizer.Decode(reference.OutputIds, skipSpecialTokens: true);
        await using var endpoint = await StartAsync();
        var arn = await ImportFixtureAsync(endpoint, model);

        var bedrock = await BedrockTestEndpoint.JsonAsync(
            await UntilLoadedAsync(() => endpoint.InvokeAsync(arn, CompletionBody(reference.Prompt, openAi: false))), HttpStatusCode.OK);
        Assert.Equal(expected, bedrock.GetProperty("generation").GetString());
        Assert.Equal(reference.InputIds.Length, bedrock.GetProperty("prompt_token_count").GetInt32());
        Assert.Equal(reference.OutputIds.Length, bedrock.GetProperty("generation_token_count").GetInt32());
        Assert.Equal("length", bedrock.GetProperty("stop_reason").GetString());

        var openAi = await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(arn, CompletionBody(reference.Prompt, openAi: true)), HttpStatusCode.OK);
        Assert.Equal(expected, openAi.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("length", openAi.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(reference.InputIds.Length, openAi.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(reference.OutputIds.Length, openAi.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public async Task Streamed_invoke_model_sends_one_chunk_per_reference_token_with_real_counts(string model)
    {
        var reference = ReferenceOf(model);
        var decoder = Tokenizer(model).CreateDecoder(skipSpecialTokens: true);
        var expectedPieces = reference.OutputIds.Select(decoder.Add).ToList();
        expectedPieces[^1] += decoder.Flush();
        await using var endpoint = await StartAsync();
        var arn = await ImportFixtureAsync(endpoint, model);

        var response = await UntilLoadedAsync(() => endpoint.InvokeAsync(arn, CompletionBody(reference.Prompt, openAi: false), stream: true));
        var chunks = (await BedrockTestEndpoint.ReadEventStreamAsync(response)).Select(BedrockTestEndpoint.ChunkJson).ToList();
        Assert.Equal(expectedPieces, chunks.Select(c => c.GetProperty("generation").GetString()));
        Assert.Equal(reference.InputIds.Length, chunks[0].GetProperty("prompt_token_count").GetInt32());
        var metrics = chunks[^1].GetProperty("amazon-bedrock-invocationMetrics");
        Assert.Equal(reference.InputIds.Length, metrics.GetProperty("inputTokenCount").GetInt32());
        Assert.Equal(reference.OutputIds.Length, metrics.GetProperty("outputTokenCount").GetInt32());
        Assert.Equal("length", chunks[^1].GetProperty("stop_reason").GetString());
    }

    /// <summary>What the inference library itself generates for the conversation rendered by the model's template
    /// (the leading BOS dropped, as the endpoint's Converse does; the tokenizer's post-processor decides about it).</summary>
    private static (string Text, int PromptTokens, int OutputTokens, StopReason Stop) DirectChatAnswer(string model, string question)
    {
        var folder = Path.Combine(FixturesFolder, model);
        var template = ChatTemplateSource.Read(File.ReadAllText(Path.Combine(folder, "chat_template.jinja")),
            File.ReadAllText(Path.Combine(folder, "tokenizer_config.json")));
        var rendered = template.Render(new[] { new ChatMessage(ChatRoles.User, question) }, addGenerationPrompt: true);
        if (!string.IsNullOrEmpty(template.BosToken) && rendered.StartsWith(template.BosToken, StringComparison.Ordinal))
            rendered = rendered.Substring(template.BosToken.Length);
        var tokenizer = Tokenizer(model);
        var ids = tokenizer.Encode(rendered, addSpecialTokens: true);
        using var weights = TransformerModel.Load(folder);
        var result = Generator.Generate(weights, ids, new GenerationOptions { MaxTokens = ReferenceTokens });
        return (tokenizer.Decode(result.OutputIds, skipSpecialTokens: true), ids.Count, result.OutputTokenCount, result.StopReason);
    }

    [Fact]
    public async Task Converse_and_openai_chat_answer_what_the_weights_generate_for_the_rendered_template()
    {
        var question = ReferenceOf("llama").Prompt;
        var expected = DirectChatAnswer("llama", question);
        await using var endpoint = await StartAsync();
        var arn = await ImportFixtureAsync(endpoint, "llama");
        var converseBody = new
        {
            messages = new[] { new { role = "user", content = new[] { new { text = question } } } },
            inferenceConfig = new { maxTokens = ReferenceTokens, temperature = 0 },
        };
        Task<HttpResponseMessage> Converse(bool stream) => endpoint.SendAsync(HttpMethod.Post,
            "model/" + Uri.EscapeDataString(arn) + (stream ? "/converse-stream" : "/converse"), converseBody);

        var converse = await BedrockTestEndpoint.JsonAsync(await UntilLoadedAsync(() => Converse(false)), HttpStatusCode.OK);
        Assert.Equal(expected.Text, converse.GetProperty("output").GetProperty("message").GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(expected.PromptTokens, converse.GetProperty("usage").GetProperty("inputTokens").GetInt32());
        Assert.Equal(expected.OutputTokens, converse.GetProperty("usage").GetProperty("outputTokens").GetInt32());
        Assert.Equal(expected.Stop == StopReason.Length ? "max_tokens" : "end_turn", converse.GetProperty("stopReason").GetString());

        var events = await BedrockTestEndpoint.ReadEventStreamAsync(await Converse(true));
        var deltas = events.Where(e => e.GetString(":event-type") == "contentBlockDelta")
            .Select(e => JsonDocument.Parse(e.Payload).RootElement.GetProperty("delta").GetProperty("text").GetString()).ToList();
        Assert.Equal(expected.OutputTokens, deltas.Count);
        Assert.Equal(expected.Text, string.Concat(deltas));

        var chat = await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(arn, new
        {
            messages = new[] { new { role = "user", content = question } },
            max_tokens = ReferenceTokens,
            temperature = 0,
        }), HttpStatusCode.OK);
        Assert.Equal(expected.Text, chat.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(expected.PromptTokens, chat.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Sampling_follows_the_request_settings_from_the_seed_knob()
    {
        var reference = ReferenceOf("qwen2");
        var folder = Path.Combine(FixturesFolder, "qwen2");
        var tokenizer = Tokenizer("qwen2");
        GenerationResult direct;
        using (var weights = TransformerModel.Load(folder))
            direct = Generator.Generate(weights, reference.InputIds, new GenerationOptions
            {
                MaxTokens = ReferenceTokens, Temperature = 0.8f, TopP = 0.9f, TopK = 20, Seed = 7,
                StopTokenIds = weights.Config.EosTokenIds.Concat(tokenizer.EosTokenIds).ToList(),
            });
        // The settings matter for this seed: sampling does not fall back on the greedy answer.
        Assert.NotEqual(reference.OutputIds, direct.OutputIds);
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k =>
        {
            k.Seed = 7;
            k.Bedrock.Engine = "weights";
        });
        var arn = await ImportFixtureAsync(endpoint, "qwen2");
        var body = new { prompt = reference.Prompt, max_tokens = ReferenceTokens, temperature = 0.8, top_p = 0.9, top_k = 20 };

        var answer = await BedrockTestEndpoint.JsonAsync(await UntilLoadedAsync(() => endpoint.InvokeAsync(arn, body)), HttpStatusCode.OK);
        Assert.Equal(tokenizer.Decode(direct.OutputIds, skipSpecialTokens: true), answer.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(direct.OutputTokenCount, answer.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        var invalid = await endpoint.InvokeAsync(arn, new { prompt = reference.Prompt, max_tokens = 4, top_p = 0 });
        await BedrockTestEndpoint.ErrorAsync(invalid, 400, "ValidationException");
    }

    [Fact]
    public async Task A_stop_sequence_cuts_the_decoded_text_and_is_the_stop_reason()
    {
        var reference = ReferenceOf("llama");
        var expected = Tokenizer("llama").Decode(reference.OutputIds, skipSpecialTokens: true);
        // A stop taken from the middle of the reference text: the answer ends right before its first occurrence.
        var stop = expected.Substring(expected.Length / 2, 2);
        await using var endpoint = await StartAsync();
        var arn = await ImportFixtureAsync(endpoint, "llama");
        var body = new { prompt = reference.Prompt, max_tokens = ReferenceTokens, temperature = 0, stop = new[] { stop } };

        var answer = await BedrockTestEndpoint.JsonAsync(await UntilLoadedAsync(() => endpoint.InvokeAsync(arn, body)), HttpStatusCode.OK);
        var choice = answer.GetProperty("choices")[0];
        Assert.Equal(expected.Substring(0, expected.IndexOf(stop, StringComparison.Ordinal)), choice.GetProperty("text").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.True(answer.GetProperty("usage").GetProperty("completion_tokens").GetInt32() <= ReferenceTokens);
    }

    [Fact]
    public async Task An_answer_book_still_answers_before_the_weights_without_a_cold_start()
    {
        var reference = ReferenceOf("llama");
        await using var endpoint = await StartAsync();
        var arn = await ImportFixtureAsync(endpoint, "llama", new Dictionary<string, string>
        {
            ["responses.jsonl"] = "{\"contains\": \"金管楽器\", \"response\": \"トランペット\"}\n",
        });

        var answer = await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(arn, CompletionBody(reference.Prompt, openAi: false)), HttpStatusCode.OK);
        Assert.Equal("トランペット", answer.GetProperty("generation").GetString());
    }

    [Fact]
    public async Task An_idle_model_is_evicted_and_loads_again()
    {
        var reference = ReferenceOf("llama");
        var expected = Tokenizer("llama").Decode(reference.OutputIds, skipSpecialTokens: true);
        await using var endpoint = await StartAsync(idleEvictMs: 60_000);
        var arn = await ImportFixtureAsync(endpoint, "llama");
        var body = CompletionBody(reference.Prompt, openAi: false);
        await BedrockTestEndpoint.JsonAsync(await UntilLoadedAsync(() => endpoint.InvokeAsync(arn, body)), HttpStatusCode.OK);

        endpoint.Clock.Advance(TimeSpan.FromSeconds(30));
        await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(arn, body), HttpStatusCode.OK);
        endpoint.Clock.Advance(TimeSpan.FromSeconds(61));
        var again = await BedrockTestEndpoint.JsonAsync(await UntilLoadedAsync(() => endpoint.InvokeAsync(arn, body)), HttpStatusCode.OK);
        Assert.Equal(expected, again.GetProperty("generation").GetString());
    }

    [Fact]
    public async Task Auto_runs_the_weights_it_can_and_keeps_the_stand_in_for_the_others_and_says_why()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync();
        Assert.Equal("auto", endpoint.Endpoint.Server.Knobs.Current.Bedrock.Engine);
        var llama = await ImportFixtureAsync(endpoint, "llama");
        var bigCode = await endpoint.ImportModelAsync(new SyntheticModelOptions { Architecture = "GPTBigCodeForCausalLM", ModelType = "gpt_bigcode" });
        // New-BedrockSampleModel's model: a llama config, but a WordLevel tokenizer and pseudo-random weight bytes.
        var sample = await endpoint.ImportModelAsync();

        // The stand-in answers the models the engine cannot run at once: no cold start of weights it cannot run.
        foreach (var standInModel in new[] { bigCode, sample })
        {
            var standIn = await BedrockTestEndpoint.JsonAsync(await endpoint.InvokeAsync(standInModel, new { prompt = "Hello", max_gen_len = 5 }), HttpStatusCode.OK);
            Assert.False(string.IsNullOrEmpty(standIn.GetProperty("generation").GetString()));
        }
        await UntilLoadedAsync(() => endpoint.InvokeAsync(llama, CompletionBody("Hello", openAi: false)));

        var report = await BedrockTestEndpoint.JsonAsync(await endpoint.Endpoint.Http.GetAsync("/_admin/models"), HttpStatusCode.OK);
        Assert.Equal("auto", report.GetProperty("engineKnob").GetString());
        var models = report.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("modelArn").GetString());
        Assert.Equal("weights", models[llama].GetProperty("engine").GetString());
        Assert.Equal("loaded", models[llama].GetProperty("state").GetString());
        Assert.Contains("llama", models[llama].GetProperty("reason").GetString());
        Assert.Equal(ReferenceTokens, models[llama].GetProperty("lastGeneration").GetProperty("outputTokens").GetInt32());
        Assert.True(models[llama].GetProperty("lastGeneration").GetProperty("decodeTokensPerSecond").GetDouble() > 0);
        Assert.Equal("stand-in", models[bigCode].GetProperty("engine").GetString());
        Assert.Equal("unsupported", models[bigCode].GetProperty("state").GetString());
        Assert.Contains("gpt_bigcode", models[bigCode].GetProperty("reason").GetString());
        Assert.Equal("stand-in", models[sample].GetProperty("engine").GetString());
        Assert.Equal("unsupported", models[sample].GetProperty("state").GetString());
        Assert.Contains("tokenizer", models[sample].GetProperty("reason").GetString());
        Assert.Contains("WordLevel", models[sample].GetProperty("reason").GetString());

        // "weights" insists: the models it cannot run are refused, not answered with pseudo-text.
        endpoint.SetKnobs(k => k.Bedrock.Engine = "weights");
        var refused = await BedrockTestEndpoint.ErrorAsync(await endpoint.InvokeAsync(sample, new { prompt = "Hello", max_gen_len = 5 }), 424, "ModelErrorException");
        Assert.Contains("WordLevel", refused);
        var strict = await BedrockTestEndpoint.JsonAsync(await endpoint.Endpoint.Http.GetAsync("/_admin/models"), HttpStatusCode.OK);
        var strictModels = strict.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("modelArn").GetString());
        Assert.Equal("none", strictModels[sample].GetProperty("engine").GetString());
        Assert.Equal("weights", strictModels[llama].GetProperty("engine").GetString());

        endpoint.SetKnobs(k => k.Bedrock.Engine = "stand-in");
        var off = await BedrockTestEndpoint.JsonAsync(await endpoint.Endpoint.Http.GetAsync("/_admin/models"), HttpStatusCode.OK);
        Assert.All(off.GetProperty("models").EnumerateArray(), m => Assert.Equal("stand-in", m.GetProperty("engine").GetString()));
    }

    [Fact]
    public async Task Deleting_the_imported_model_unloads_it_and_removes_its_engine_folder()
    {
        var reference = ReferenceOf("llama");
        await using var endpoint = await StartAsync();
        var arn = await ImportFixtureAsync(endpoint, "llama");
        await BedrockTestEndpoint.JsonAsync(await UntilLoadedAsync(() => endpoint.InvokeAsync(arn, CompletionBody(reference.Prompt, openAi: false))), HttpStatusCode.OK);
        var engineRoot = Path.Combine(endpoint.Endpoint.DataDirectory, "bedrock", "engine");
        Assert.Single(Directory.GetDirectories(engineRoot));
        // The folder is named by the import job's id: the engine's own handle on the loaded model, to see it unloaded.
        var engine = WeightsEngine.Of(endpoint.Endpoint.Server.Context);
        var record = new ImportJobRecord { JobId = Path.GetFileName(Directory.GetDirectories(engineRoot)[0]) };
        var loaded = engine.Acquire(record, endpoint.Endpoint.Server.Knobs.Current.Bedrock);
        Assert.False(loaded.Disposed);

        await BedrockTestEndpoint.JsonAsync(await endpoint.SendAsync(HttpMethod.Delete, "imported-models/" + Uri.EscapeDataString(arn)), HttpStatusCode.OK);
        Assert.True(loaded.Disposed);
        Assert.Empty(Directory.GetDirectories(engineRoot));
        var report = await BedrockTestEndpoint.JsonAsync(await endpoint.Endpoint.Http.GetAsync("/_admin/models"), HttpStatusCode.OK);
        Assert.Empty(report.GetProperty("models").EnumerateArray());
    }

    [Fact]
    public void An_unknown_engine_knob_is_refused()
    {
        var knobs = new BedrockImport.LocalEndpoint.Knobs.Knobs();
        knobs.Bedrock.Engine = "gpu";
        Assert.Contains(knobs.Validate(), p => p.Contains("bedrock.engine", StringComparison.Ordinal));
    }
}

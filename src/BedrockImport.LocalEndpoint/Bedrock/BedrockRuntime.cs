using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Engine.EventStream;
using BedrockImport.Engine.Import;
using BedrockImport.Engine.Invocation;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.Knobs;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>The three request formats of imported models (bedrock-wire-protocol.md §5.5).</summary>
internal enum BodyFormat
{
    /// <summary>{"prompt", "max_gen_len"} → {"generation", "prompt_token_count", "generation_token_count", "stop_reason"}.</summary>
    BedrockCompletion,
    /// <summary>{"prompt", "max_tokens"} → {"choices": [{"text", "finish_reason"}], "usage"}.</summary>
    OpenAICompletion,
    /// <summary>{"messages", "max_tokens"} → {"choices": [{"message": {"role", "content"}, "finish_reason"}], "usage"}.</summary>
    OpenAIChatCompletion,
}

/// <summary>A parsed InvokeModel body; Choices is structured_outputs.choice (OpenAI formats only), null when not constrained.</summary>
internal sealed record InvokeBody(BodyFormat Format, string Prompt, int PromptTokens, int MaxTokens, IReadOnlyList<string> Stop,
    IReadOnlyList<string>? Choices = null, IReadOnlyList<ChatMessage>? Messages = null);

/// <summary>InvokeModel and InvokeModelWithResponseStream on imported-model ARNs, answered by TextGenerator.</summary>
internal sealed class BedrockRuntime
{
    public const string ModelNotReadyMessage = "Model is not ready for inference. Wait and try your request again.";
    private const int DefaultMaxGenLen = 512;
    private const int DefaultChatMaxTokens = 512;
    private const int TemplateTokensPerMessage = 4;

    private readonly EndpointContext _context;
    private readonly ImportJobStore _store;
    private readonly ConcurrentDictionary<string, Activity> _activity = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string ETag, ResponseBook Book)> _responses = new(StringComparer.Ordinal);
    private readonly FoundationModelBooks _foundationBooks;
    private long _streamIndex = -1;

    public BedrockRuntime(EndpointContext context, ImportJobStore store)
    {
        _context = context;
        _store = store;
        _foundationBooks = new FoundationModelBooks(context.DataDirectory);
        Engine = new WeightsEngine(context);
    }

    /// <summary>The weights engine (knob bedrock.engine); also used by Converse and the /_admin/models report.</summary>
    internal WeightsEngine Engine { get; }

    internal ImportJobStore Store => _store;

    /// <summary>A stand-in foundation model's answer book: the data folder's, if any, before its built-in one.</summary>
    internal ResponseBook FoundationBook(FoundationModel model) => _foundationBooks.For(model);

    /// <summary>Per model: when it last served, and the end of a cold-start window in progress.</summary>
    private sealed class Activity
    {
        public DateTimeOffset LastServed;
        public DateTimeOffset? ColdUntil;
    }

    public async Task InvokeModelAsync(HttpContext http, string modelId, bool streaming)
    {
        var started = Stopwatch.StartNew();
        if (FoundationModels.Find(modelId, _context.Region) is not null)
            throw BedrockError.Validation(FoundationModels.UnsupportedActionMessage);
        var job = FindModel(modelId);
        var bytes = await BedrockHandler.ReadBodyAsync(http).ConfigureAwait(false);
        var body = ParseBody(bytes);
        var knobs = _context.Knobs.Current;
        CheckReady(job, knobs.Bedrock);

        // An answer book wins over the weights, and a choice constraint stays with the stand-in (no constrained decoding).
        var book = Responses(job);
        if (book is null && body.Choices is null && Engine.Acquire(job, knobs.Bedrock) is { } loaded)
        {
            var prompt = body.Messages is { } messages ? BedrockConverse.RenderForWeights(_context, job, messages, body.Prompt) : body.Prompt;
            var sampling = Sampling.FromInvokeBody(bytes);
            WeightsGeneration Generate(Action<StreamPiece>? onPiece, CancellationToken cancel) => Engine.Generate(loaded, prompt, sampling,
                knobs.Seed, body.MaxTokens, body.Stop, knobs.Bedrock.IgnoreStop, onPiece, cancel);
            if (streaming)
            {
                await using var live = PieceSource.Live(Generate, http.RequestAborted);
                await StreamAsync(http, job, body, live, knobs, started).ConfigureAwait(false);
                return;
            }
            var generated = Generate(null, http.RequestAborted).Generation;
            await AnswerAsync(http, job, body with { PromptTokens = generated.PromptTokens }, generated, knobs.Bedrock, started).ConfigureAwait(false);
            return;
        }

        var generation = body.Choices is { } choices
            ? TextGenerator.GenerateChoice(knobs.Seed, body.Prompt, choices, body.MaxTokens, body.Stop, knobs.Bedrock.IgnoreStop, book, body.PromptTokens)
            : TextGenerator.Generate(knobs.Seed, body.Prompt, body.MaxTokens, body.Stop, knobs.Bedrock.IgnoreStop, book, body.PromptTokens);
        if (streaming)
        {
            await using var pieces = PieceSource.Of(generation, atLeastOne: true);
            await StreamAsync(http, job, body, pieces, knobs, started).ConfigureAwait(false);
        }
        else
            await AnswerAsync(http, job, body, generation, knobs.Bedrock, started).ConfigureAwait(false);
    }

    internal ImportJobRecord FindModel(string modelId)
    {
        if (!BedrockPatterns.ImportedModelArn.IsMatch(modelId))
            throw BedrockError.Validation(BedrockPatterns.ImportedModelName.IsMatch(modelId)
                ? $"The provided model identifier is invalid. Imported models are invoked by their ARN (arn:aws:bedrock:{_context.Region}:{BedrockIds.AccountId}:imported-model/...), not by the name '{modelId}'."
                : "The provided model identifier is invalid.");
        return _store.Jobs().FirstOrDefault(j => j.ImportedModelArn == modelId && _store.ModelExists(j))
               ?? throw BedrockError.NotFound($"The imported model {modelId} was not found. It may have been deleted, or its import job has not completed yet.");
    }

    internal static InvokeBody ParseBody(byte[] bytes)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw BedrockError.Validation("Malformed input request: the body is not valid JSON (" + e.Message + "). Please reformat your input and try again.");
        }
        if (root is not JsonObject body)
            throw BedrockError.Validation("Malformed input request: the body must be a JSON object. Please reformat your input and try again.");

        var stop = ReadStop(body["stop"]);
        if (body["messages"] is JsonNode messagesNode)
        {
            if (messagesNode is not JsonArray messages || messages.Count == 0)
                throw BedrockError.Validation("Malformed input request: 'messages' must be a non-empty array of {role, content}. Please reformat your input and try again.");
            var contents = messages.Select(m => MessageText(m)).ToList();
            var promptTokens = contents.Sum(c => TextGenerator.Tokenize(c).Count + TemplateTokensPerMessage);
            var roles = messages.Select(m => (m as JsonObject)?["role"] is JsonValue r && r.GetValueKind() == JsonValueKind.String ? r.GetValue<string>() : ChatRoles.User);
            return new InvokeBody(BodyFormat.OpenAIChatCompletion, string.Join("\n", contents), promptTokens,
                ReadMaxTokens(body, "max_tokens", DefaultChatMaxTokens), stop, ReadStructuredOutputs(body, BodyFormat.OpenAIChatCompletion),
                roles.Zip(contents, (role, content) => new ChatMessage(role, content)).ToList());
        }

        if (body["prompt"] is not JsonValue promptValue || promptValue.GetValueKind() != JsonValueKind.String)
            throw BedrockError.Validation("Malformed input request: the body needs a string 'prompt' (BedrockCompletion / OpenAI completion) or a 'messages' array (OpenAI chat). Please reformat your input and try again.");
        var prompt = promptValue.GetValue<string>();
        var openAi = body.ContainsKey("max_tokens") && !body.ContainsKey("max_gen_len");
        var format = openAi ? BodyFormat.OpenAICompletion : BodyFormat.BedrockCompletion;
        return new InvokeBody(format, prompt, TextGenerator.Tokenize(prompt).Count,
            openAi ? ReadMaxTokens(body, "max_tokens", DefaultMaxGenLen) : ReadMaxTokens(body, "max_gen_len", DefaultMaxGenLen), stop,
            ReadStructuredOutputs(body, format));
    }

    private static readonly string[] StructuredOutputTypes = { "choice", "json", "regex", "grammar" };

    /// <summary>vLLM's structured_outputs, which models imported after 2025-11-11 accept in the OpenAI formats. The endpoint
    /// answers the choice type; json, regex and grammar are refused by name. A JSON null is no constraint (as in vLLM).</summary>
    private static IReadOnlyList<string>? ReadStructuredOutputs(JsonObject body, BodyFormat format)
    {
        if (!body.TryGetPropertyValue("structured_outputs", out var node) || node is null) return null;
        if (format == BodyFormat.BedrockCompletion)
            throw BedrockError.Validation("Malformed input request: 'structured_outputs' needs an OpenAI format (a 'prompt' with 'max_tokens', or 'messages'); the BedrockCompletion format ('prompt' with 'max_gen_len') does not support it. Please reformat your input and try again.");
        if (node is not JsonObject outputs)
            throw BedrockError.Validation("Malformed input request: 'structured_outputs' must be an object such as {\"choice\": [\"A\", \"B\"]}. Please reformat your input and try again.");
        foreach (var member in outputs)
            if (!StructuredOutputTypes.Contains(member.Key, StringComparer.Ordinal))
                throw BedrockError.Validation($"Malformed input request: 'structured_outputs' has an unknown member '{member.Key}'; its types are choice, json, regex and grammar. Please reformat your input and try again.");
        foreach (var type in StructuredOutputTypes.Skip(1))
            if (outputs.ContainsKey(type))
                throw BedrockError.Validation($"The structured output type '{type}' is not supported by the local endpoint; it answers 'choice' only.");
        if (outputs["choice"] is not JsonArray choices || choices.Count == 0
            || !choices.All(c => c is JsonValue v && v.GetValueKind() == JsonValueKind.String))
            throw BedrockError.Validation("Malformed input request: 'structured_outputs.choice' must be a non-empty array of strings. Please reformat your input and try again.");
        return choices.Select(c => c!.GetValue<string>()).ToList();
    }

    private static string MessageText(JsonNode? message)
    {
        var content = (message as JsonObject)?["content"];
        if (content is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            return value.GetValue<string>();
        if (content is JsonArray parts)
            return string.Join("\n", parts.OfType<JsonObject>()
                .Where(p => p["text"] is JsonValue t && t.GetValueKind() == JsonValueKind.String)
                .Select(p => p["text"]!.GetValue<string>()));
        throw BedrockError.Validation("Malformed input request: every message needs a 'content' string or an array of content parts. Please reformat your input and try again.");
    }

    private static int ReadMaxTokens(JsonObject body, string member, int fallback)
    {
        var node = body[member];
        if (node is null) return fallback;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var number) && number >= 1)
            return number;
        if (node is JsonValue d && d.TryGetValue<double>(out var real) && real >= 1 && real == Math.Floor(real) && real <= int.MaxValue)
            return (int)real;
        throw BedrockError.Validation($"Malformed input request: '{member}' must be a positive integer. Please reformat your input and try again.");
    }

    private static IReadOnlyList<string> ReadStop(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return Array.Empty<string>();
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return new[] { value.GetValue<string>() };
            case JsonArray array when array.All(a => a is JsonValue v && v.GetValueKind() == JsonValueKind.String):
                return array.Select(a => a!.GetValue<string>()).ToList();
            default:
                throw BedrockError.Validation("Malformed input request: 'stop' must be a string or an array of strings. Please reformat your input and try again.");
        }
    }

    /// <summary>ModelNotReadyException right after import, and for a window once the model was idle (knobs).</summary>
    internal void CheckReady(ImportJobRecord job, BedrockKnobs knobs)
    {
        var now = _store.Now;
        var readyAt = job.EndTime + TimeSpan.FromMilliseconds(Math.Max(0, knobs.ModelNotReadyAfterImportMs));
        if (now < readyAt) throw ModelNotReady();

        var activity = _activity.GetOrAdd(job.ImportedModelArn, _ => new Activity { LastServed = readyAt });
        lock (activity)
        {
            if (activity.ColdUntil is { } coldUntil)
            {
                if (now < coldUntil) throw ModelNotReady();
                activity.ColdUntil = null;
            }
            else if (knobs.IdleBeforeColdStartMs > 0 && knobs.ModelNotReadyAfterIdleMs > 0
                     && now - activity.LastServed >= TimeSpan.FromMilliseconds(knobs.IdleBeforeColdStartMs))
            {
                activity.ColdUntil = now + TimeSpan.FromMilliseconds(knobs.ModelNotReadyAfterIdleMs);
                throw ModelNotReady();
            }
            activity.LastServed = now;
        }
    }

    private static BedrockError ModelNotReady() => new(429, "ModelNotReadyException", ModelNotReadyMessage);

    internal ResponseBook? Responses(ImportJobRecord job)
    {
        var source = S3StoreSource.For(_context.S3, job.S3Uri);
        var info = source?.Find(ResponseBook.FileName);
        if (info is null) return null;
        var cached = _responses.TryGetValue(job.JobId, out var entry) && entry.ETag == info.ETag ? entry.Book : null;
        if (cached is not null) return cached;
        var book = ResponseBook.Parse(source!.ReadText(ResponseBook.FileName) ?? "");
        _responses[job.JobId] = (info.ETag, book);
        return book;
    }

    private async Task AnswerAsync(HttpContext http, ImportJobRecord job, InvokeBody body, Generation generation, BedrockKnobs knobs, Stopwatch started)
    {
        if (knobs.PerTokenLatencyMs > 0 && generation.Tokens.Count > 0)
            await _context.Delay(TimeSpan.FromMilliseconds((long)knobs.PerTokenLatencyMs * generation.Tokens.Count), http.RequestAborted).ConfigureAwait(false);

        var reason = generation.HitMaxTokens ? "length" : "stop";
        var created = _store.Now.ToUnixTimeSeconds();
        JsonObject response = body.Format switch
        {
            BodyFormat.BedrockCompletion => new JsonObject
            {
                ["generation"] = generation.Text,
                ["prompt_token_count"] = body.PromptTokens,
                ["generation_token_count"] = generation.Tokens.Count,
                ["stop_reason"] = reason,
            },
            BodyFormat.OpenAICompletion => new JsonObject
            {
                ["id"] = "cmpl-" + Guid.NewGuid().ToString("N"),
                ["object"] = "text_completion",
                ["created"] = created,
                ["model"] = job.ImportedModelArn,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["text"] = generation.Text, ["logprobs"] = null, ["finish_reason"] = reason }),
                ["usage"] = Usage(body, generation),
            },
            _ => new JsonObject
            {
                ["id"] = "chatcmpl-" + Guid.NewGuid().ToString("N"),
                ["object"] = "chat.completion",
                ["created"] = created,
                ["model"] = job.ImportedModelArn,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = generation.Text },
                    ["finish_reason"] = reason,
                }),
                ["usage"] = Usage(body, generation),
            },
        };

        var headers = http.Response.Headers;
        headers["X-Amzn-Bedrock-Input-Token-Count"] = body.PromptTokens.ToString(CultureInfo.InvariantCulture);
        headers["X-Amzn-Bedrock-Output-Token-Count"] = generation.Tokens.Count.ToString(CultureInfo.InvariantCulture);
        headers["X-Amzn-Bedrock-Invocation-Latency"] = started.ElapsedMilliseconds.ToString(CultureInfo.InvariantCulture);
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        headers["x-amzn-RequestId"] = AwsErrors.RequestId(http);
        await http.Response.WriteAsync(response.ToJsonString(), http.RequestAborted).ConfigureAwait(false);
    }

    private static JsonObject Usage(InvokeBody body, Generation generation) => new()
    {
        ["prompt_tokens"] = body.PromptTokens,
        ["completion_tokens"] = generation.Tokens.Count,
        ["total_tokens"] = body.PromptTokens + generation.Tokens.Count,
    };

    /// <summary>One chunk per piece, each written and flushed as it comes (a live generation's as its token is chosen);
    /// the last carries the stop reason, the usage and amazon-bedrock-invocationMetrics. The answer starts with the first
    /// piece, so an error before it (a prompt too long for the context) is an ordinary error answer.</summary>
    private async Task StreamAsync(HttpContext http, ImportJobRecord job, InvokeBody body, PieceSource pieces, Knobs.Knobs knobs, Stopwatch started)
    {
        var bedrock = knobs.Bedrock;
        var streamIndex = Interlocked.Increment(ref _streamIndex);
        var faultAfter = bedrock.StreamFaultAfterChunks is { } n && n >= 0
                         && FaultInjector.Draw(knobs.Seed, "bedrock:InvokeModelWithResponseStream:midstream", streamIndex, 4) < bedrock.StreamFaultRate
            ? n : -1;

        var piece = await pieces.NextAsync().ConfigureAwait(false);
        http.Response.StatusCode = 200;
        http.Response.ContentType = EventStreamFormat.ContentType;
        http.Response.Headers["X-Amzn-Bedrock-Content-Type"] = "application/json";
        http.Response.Headers["x-amzn-RequestId"] = AwsErrors.RequestId(http);
        await http.Response.StartAsync(http.RequestAborted).ConfigureAwait(false);

        var id = (body.Format == BodyFormat.OpenAIChatCompletion ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
        var created = _store.Now.ToUnixTimeSeconds();
        long firstByteLatency = 0;
        for (var i = 0; piece is { } current; i++)
        {
            if (i == faultAfter)
            {
                await WriteFrameAsync(http, MidStreamFault(bedrock.StreamFaultType)).ConfigureAwait(false);
                return;
            }
            // The finished result is known once the last piece came; the generation ends right after handing it on.
            var final = current.Last ? (await pieces.ResultAsync().ConfigureAwait(false)).Generation : null;
            if (bedrock.PerTokenLatencyMs > 0 && !(final is { Tokens.Count: 0 }))
                await _context.Delay(TimeSpan.FromMilliseconds(bedrock.PerTokenLatencyMs), http.RequestAborted).ConfigureAwait(false);

            if (i == 0) firstByteLatency = started.ElapsedMilliseconds;
            var chunk = ChunkJson(body, job, id, created, current, i, final);
            if (final is not null)
                chunk["amazon-bedrock-invocationMetrics"] = new JsonObject
                {
                    ["inputTokenCount"] = final.PromptTokens,
                    ["outputTokenCount"] = final.Tokens.Count,
                    ["invocationLatency"] = started.ElapsedMilliseconds,
                    ["firstByteLatency"] = firstByteLatency,
                };
            var payload = new JsonObject
            {
                ["bytes"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(chunk.ToJsonString())),
                ["p"] = Padding(i),
            };
            await WriteFrameAsync(http, EventStreamMessage.Event("chunk", Encoding.UTF8.GetBytes(payload.ToJsonString()))).ConfigureAwait(false);
            if (final is not null) return;
            piece = await pieces.NextAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One chunk body; <paramref name="final"/> is the whole generation on the last chunk, null before.</summary>
    private static JsonObject ChunkJson(InvokeBody body, ImportJobRecord job, string id, long created, StreamPiece current, int index, Generation? final)
    {
        var piece = current.Text;
        var reason = final is null ? null : final.HitMaxTokens ? "length" : "stop";
        var usage = final is null ? null : Usage(body with { PromptTokens = final.PromptTokens }, final);
        switch (body.Format)
        {
            case BodyFormat.BedrockCompletion:
                return new JsonObject
                {
                    ["generation"] = piece,
                    ["prompt_token_count"] = index == 0 ? current.PromptTokens : null,
                    ["generation_token_count"] = final?.Tokens.Count ?? index + 1,
                    ["stop_reason"] = reason,
                };
            case BodyFormat.OpenAICompletion:
                var completion = new JsonObject
                {
                    ["id"] = id, ["object"] = "text_completion", ["created"] = created, ["model"] = job.ImportedModelArn,
                    ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["text"] = piece, ["logprobs"] = null, ["finish_reason"] = reason }),
                };
                if (usage is not null) completion["usage"] = usage;
                return completion;
            default:
                var delta = new JsonObject { ["content"] = piece };
                if (index == 0) delta["role"] = "assistant";
                var chat = new JsonObject
                {
                    ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = job.ImportedModelArn,
                    ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = reason }),
                };
                if (usage is not null) chat["usage"] = usage;
                return chat;
        }
    }

    internal static EventStreamMessage MidStreamFault(string type)
    {
        var payload = new JsonObject { ["message"] = type switch
        {
            "throttlingException" => "Too many requests, please wait before trying again.",
            "internalServerException" => "An internal server error occurred. Retry your request.",
            "modelTimeoutException" => "Model has timed out in processing the request. Try your request again.",
            "serviceUnavailableException" => "The service is temporarily unavailable. Retry your request.",
            "validationException" => "The stream was rejected mid-way (injected by the local endpoint).",
            _ => "The model stopped streaming (injected mid-stream fault of the local endpoint). Retry your request.",
        } };
        if (type is not ("throttlingException" or "internalServerException" or "modelTimeoutException" or "serviceUnavailableException" or "validationException"))
        {
            type = "modelStreamErrorException";
            payload["originalStatusCode"] = 500;
            payload["originalMessage"] = "Internal error during generation.";
        }
        return EventStreamMessage.Exception(type, Encoding.UTF8.GetBytes(payload.ToJsonString()));
    }

    internal static async Task WriteFrameAsync(HttpContext http, EventStreamMessage message)
    {
        var frame = EventStreamWriter.Encode(message);
        await http.Response.Body.WriteAsync(frame, http.RequestAborted).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    // Bedrock pads chunk events with a "p" field of varying length; clients must ignore it.
    internal static string Padding(int index) => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".Substring(0, 1 + index % 40);
}

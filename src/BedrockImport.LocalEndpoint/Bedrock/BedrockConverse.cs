using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.EventStream;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.LocalEndpoint.Hosting;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>Converse and ConverseStream: on an imported model the messages are rendered with the model's own chat
/// template (the Engine's Jinja engine) and the weights engine or TextGenerator answers the rendered prompt as InvokeModel would; on a stand-in
/// foundation model (FoundationModels) its answer book answers the last user message. Answers in Converse shapes.</summary>
internal sealed class BedrockConverse
{
    /// <summary>model_type values of the architectures the service documents as not supporting Converse, from the Engine's
    /// one architecture list (Qwen2 and Qwen2.5 share "qwen2"; Qwen3 MoE counts as a Qwen3).</summary>
    internal static readonly IReadOnlySet<string> ExcludedModelTypes = SupportedArchitectures.All
        .Where(a => !a.SupportsConverse).SelectMany(a => a.ModelTypes).ToHashSet(StringComparer.Ordinal);

    private const int TokensPerMessage = 4;
    private static readonly string[] StreamExceptionEvents =
        { "modelStreamErrorException", "throttlingException", "internalServerException", "serviceUnavailableException", "validationException" };

    private readonly EndpointContext _context;
    private readonly BedrockRuntime _runtime;

    public BedrockConverse(EndpointContext context, BedrockRuntime runtime)
    {
        _context = context;
        _runtime = runtime;
    }

    public async Task ConverseAsync(HttpContext http, string modelId, bool streaming)
    {
        var started = Stopwatch.StartNew();
        var bytes = await BedrockHandler.ReadBodyAsync(http).ConfigureAwait(false);
        var request = ConverseRequest.Parse(bytes);
        var knobs = _context.Knobs.Current;

        string prompt;
        int promptTokens;
        ResponseBook? book;
        ConverseToolAnswer? toolAnswer = null;
        WeightsEngine.LoadedModel? weights = null;
        if (FoundationModels.Find(modelId, _context.Region) is { } foundation)
        {
            toolAnswer = ConverseToolAnswer.Decide(request, foundation.ModelId);
            prompt = request.LastUserText;
            promptTokens = request.TemplateMessages.Sum(m => TextGenerator.Tokenize(m.Content).Count + TokensPerMessage);
            book = _runtime.FoundationBook(foundation);
        }
        else
        {
            var job = _runtime.FindModel(modelId);
            CheckSupportsConverse(job);
            var template = LoadTemplate(_context, job) ?? throw BedrockError.Validation(FoundationModels.UnsupportedActionMessage);
            prompt = Render(_context, template, request.TemplateMessages, request.Tools);
            promptTokens = TextGenerator.Tokenize(prompt).Count;
            _runtime.CheckReady(job, knobs.Bedrock);
            book = _runtime.Responses(job);
            // An answer book wins over the weights.
            if (book is null) weights = _runtime.Engine.Acquire(job, knobs.Bedrock);
        }

        if (weights is not null)
        {
            var sampling = Sampling.FromConverseBody(bytes);
            WeightsGeneration Generate(Action<StreamPiece>? onPiece, CancellationToken cancel) => _runtime.Engine.Generate(weights, prompt,
                sampling, knobs.Seed, request.MaxTokens, request.Stop, knobs.Bedrock.IgnoreStop, onPiece, cancel);
            if (streaming)
            {
                await using var live = PieceSource.Live(Generate, http.RequestAborted);
                await StreamAsync(http, live, WeightsStopReason, knobs.Bedrock, started).ConfigureAwait(false);
                return;
            }
            var answer = Generate(null, http.RequestAborted);
            await AnswerAsync(http, answer.Generation, WeightsStopReason(answer), knobs.Bedrock, started).ConfigureAwait(false);
            return;
        }

        if (toolAnswer != null)
        {
            var toolGeneration = new Generation(TextGenerator.Tokenize(toolAnswer.Input.ToJsonString()), false, promptTokens);
            if (streaming)
                await StreamToolUseAsync(http, toolAnswer, toolGeneration, started).ConfigureAwait(false);
            else
                await WriteAnswerAsync(http, toolAnswer.ToContentBlock(), toolGeneration, ConverseStopReasons.ToolUse, started).ConfigureAwait(false);
            return;
        }

        var generation = TextGenerator.Generate(knobs.Seed, prompt, request.MaxTokens, request.Stop, knobs.Bedrock.IgnoreStop, book, promptTokens);
        var stopReason = StopReason(request, generation, knobs.Bedrock.IgnoreStop);
        if (streaming)
        {
            await using var pieces = PieceSource.Of(generation, atLeastOne: false);
            await StreamAsync(http, pieces, _ => stopReason, knobs.Bedrock, started).ConfigureAwait(false);
        }
        else
            await AnswerAsync(http, generation, stopReason, knobs.Bedrock, started).ConfigureAwait(false);
    }

    private static string WeightsStopReason(WeightsGeneration answer)
        => answer.Generation.HitMaxTokens ? "max_tokens" : answer.StoppedBySequence ? "stop_sequence" : "end_turn";

    /// <summary>max_tokens when the answer was cut at maxTokens; stop_sequence when a stop sequence cut it (the generator
    /// always reaches one when the request has any, unless ignoreStop lets it talk on); end_turn otherwise.</summary>
    internal static string StopReason(ConverseRequest request, Generation generation, bool ignoreStop)
    {
        if (generation.HitMaxTokens) return "max_tokens";
        return !ignoreStop && request.Stop.Any(s => s.Length > 0) ? "stop_sequence" : "end_turn";
    }

    /// <summary>Refuses the architectures the service excludes from Converse. The import record holds config.json's
    /// model_type (or, when it had none, its architecture name).</summary>
    private static void CheckSupportsConverse(ImportJobRecord job)
    {
        var recorded = job.ModelArchitecture;
        if (string.IsNullOrEmpty(recorded)) return;
        var family = SupportedArchitectures.Find(null, recorded) ?? SupportedArchitectures.Find(new[] { recorded! }, null);
        var modelTypes = family?.ModelTypes ?? new[] { recorded! };
        if (modelTypes.Any(ExcludedModelTypes.Contains))
            throw BedrockError.Validation(FoundationModels.UnsupportedActionMessage);
    }

    /// <summary>OpenAIChat messages of InvokeModel rendered as Converse renders them, for the weights engine; a model
    /// without a chat template gets <paramref name="fallback"/> (the contents joined, as the stand-in reads them).</summary>
    internal static string RenderForWeights(EndpointContext context, ImportJobRecord job, IReadOnlyList<ChatMessage> messages, string fallback)
        => LoadTemplate(context, job) is { } template ? Render(context, template, messages, null) : fallback;

    private static ChatTemplate? LoadTemplate(EndpointContext context, ImportJobRecord job)
    {
        var source = S3StoreSource.For(context.S3, job.S3Uri);
        if (source is null) return null;
        try
        {
            return ChatTemplateSource.Read(source.ReadText(ChatTemplateSource.TemplateFileName), source.ReadText(ChatTemplateSource.TokenizerConfigFileName), job.ImportedModelName);
        }
        catch (ChatTemplateException)
        {
            return null;
        }
    }

    private static string Render(EndpointContext context, ChatTemplate template, IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools)
    {
        template.Clock = () => context.Clock.GetUtcNow().UtcDateTime;
        // toolConfig's tools reach the template as transformers passes them (tools=[{"type":"function","function":...}]).
        var variables = tools is { Count: > 0 } ? new Dictionary<string, object?> { ["tools"] = ToolDefinition.ToTemplateValues(tools) } : null;
        try
        {
            // The service tokenizes the rendered conversation without adding BOS again, so a template's leading bos_token
            // is the one BOS; InvokeModel's prompt (rendered on the client, BOS dropped) gets it from the tokenizer. Both
            // are the same tokens: the generator sees the prompt without BOS, as the InvokeModel handler does.
            var rendered = template.Render(messages, addGenerationPrompt: true, variables);
            return !string.IsNullOrEmpty(template.BosToken) && rendered.StartsWith(template.BosToken!, StringComparison.Ordinal)
                ? rendered.Substring(template.BosToken!.Length)
                : rendered;
        }
        catch (ChatTemplateException e)
        {
            // raise_exception of the template (e.g. Mistral on roles that do not alternate) and render failures.
            throw BedrockError.Validation("The model's chat template could not format the conversation: " + e.Message);
        }
    }

    private static JsonObject Usage(Generation generation) => new()
    {
        ["inputTokens"] = generation.PromptTokens,
        ["outputTokens"] = generation.Tokens.Count,
        ["totalTokens"] = generation.PromptTokens + generation.Tokens.Count,
    };

    private async Task AnswerAsync(HttpContext http, Generation generation, string stopReason, Knobs.BedrockKnobs knobs, Stopwatch started)
    {
        if (knobs.PerTokenLatencyMs > 0 && generation.Tokens.Count > 0)
            await _context.Delay(TimeSpan.FromMilliseconds((long)knobs.PerTokenLatencyMs * generation.Tokens.Count), http.RequestAborted).ConfigureAwait(false);
        await WriteAnswerAsync(http, new JsonObject { ["text"] = generation.Text }, generation, stopReason, started).ConfigureAwait(false);
    }

    private static async Task WriteAnswerAsync(HttpContext http, JsonObject block, Generation generation, string stopReason, Stopwatch started)
    {
        var response = new JsonObject
        {
            ["output"] = new JsonObject
            {
                ["message"] = new JsonObject
                {
                    ["role"] = ChatRoles.Assistant,
                    ["content"] = new JsonArray(block),
                },
            },
            ["stopReason"] = stopReason,
            ["usage"] = Usage(generation),
            ["metrics"] = new JsonObject { ["latencyMs"] = started.ElapsedMilliseconds },
        };
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        http.Response.Headers["x-amzn-RequestId"] = AwsErrors.RequestId(http);
        await http.Response.WriteAsync(response.ToJsonString(), http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>messageStart, one contentBlockDelta per piece as it comes (a live generation's as its token is chosen),
    /// contentBlockStop, messageStop and metadata with the usage. The answer starts with the first piece, so an error
    /// before it is an ordinary error answer.</summary>
    private async Task StreamAsync(HttpContext http, PieceSource pieces, Func<WeightsGeneration, string> stopReason, Knobs.BedrockKnobs knobs, Stopwatch started)
    {
        var faultAfter = knobs.ConverseStreamFaultAfterDeltas is { } n && n >= 0 ? n : -1;
        var piece = await pieces.NextAsync().ConfigureAwait(false);
        http.Response.StatusCode = 200;
        http.Response.ContentType = EventStreamFormat.ContentType;
        http.Response.Headers["x-amzn-RequestId"] = AwsErrors.RequestId(http);
        await http.Response.StartAsync(http.RequestAborted).ConfigureAwait(false);

        await WriteEventAsync(http, "messageStart", new JsonObject { ["role"] = ChatRoles.Assistant }, 0).ConfigureAwait(false);
        var i = 0;
        for (; ; i++)
        {
            // The fault may come after the last delta too (n equal to the number of deltas), never beyond.
            if (i == faultAfter)
            {
                var type = StreamExceptionEvents.Contains(knobs.ConverseStreamFaultType) ? knobs.ConverseStreamFaultType : "modelStreamErrorException";
                await BedrockRuntime.WriteFrameAsync(http, BedrockRuntime.MidStreamFault(type)).ConfigureAwait(false);
                return;
            }
            if (piece is not { } current) break;
            if (knobs.PerTokenLatencyMs > 0)
                await _context.Delay(TimeSpan.FromMilliseconds(knobs.PerTokenLatencyMs), http.RequestAborted).ConfigureAwait(false);
            await WriteEventAsync(http, "contentBlockDelta", new JsonObject
            {
                ["contentBlockIndex"] = 0,
                ["delta"] = new JsonObject { ["text"] = current.Text },
            }, i).ConfigureAwait(false);
            piece = current.Last ? null : await pieces.NextAsync().ConfigureAwait(false);
        }
        var answer = await pieces.ResultAsync().ConfigureAwait(false);
        await WriteEventAsync(http, "contentBlockStop", new JsonObject { ["contentBlockIndex"] = 0 }, 0).ConfigureAwait(false);
        await WriteEventAsync(http, "messageStop", new JsonObject { ["stopReason"] = stopReason(answer) }, 0).ConfigureAwait(false);
        await WriteEventAsync(http, "metadata", new JsonObject
        {
            ["usage"] = Usage(answer.Generation),
            ["metrics"] = new JsonObject { ["latencyMs"] = started.ElapsedMilliseconds },
        }, 0).ConfigureAwait(false);
    }

    /// <summary>A tool call streamed as the service streams one: contentBlockStart with the toolUse id and name, the input
    /// JSON in contentBlockDelta.delta.toolUse.input fragments, contentBlockStop, messageStop tool_use, metadata.</summary>
    private async Task StreamToolUseAsync(HttpContext http, ConverseToolAnswer answer, Generation generation, Stopwatch started)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = EventStreamFormat.ContentType;
        http.Response.Headers["x-amzn-RequestId"] = AwsErrors.RequestId(http);
        await http.Response.StartAsync(http.RequestAborted).ConfigureAwait(false);
        await WriteEventAsync(http, "messageStart", new JsonObject { ["role"] = ChatRoles.Assistant }, 0).ConfigureAwait(false);
        await WriteEventAsync(http, "contentBlockStart", new JsonObject
        {
            ["contentBlockIndex"] = 0,
            ["start"] = new JsonObject { ["toolUse"] = new JsonObject { ["toolUseId"] = answer.ToolUseId, ["name"] = answer.Name } },
        }, 0).ConfigureAwait(false);
        var i = 0;
        foreach (var fragment in answer.InputFragments())
        {
            await WriteEventAsync(http, "contentBlockDelta", new JsonObject
            {
                ["contentBlockIndex"] = 0,
                ["delta"] = new JsonObject { ["toolUse"] = new JsonObject { ["input"] = fragment } },
            }, i++).ConfigureAwait(false);
        }
        await WriteEventAsync(http, "contentBlockStop", new JsonObject { ["contentBlockIndex"] = 0 }, 0).ConfigureAwait(false);
        await WriteEventAsync(http, "messageStop", new JsonObject { ["stopReason"] = ConverseStopReasons.ToolUse }, 0).ConfigureAwait(false);
        await WriteEventAsync(http, "metadata", new JsonObject
        {
            ["usage"] = Usage(generation),
            ["metrics"] = new JsonObject { ["latencyMs"] = started.ElapsedMilliseconds },
        }, 0).ConfigureAwait(false);
    }

    // Bedrock pads Converse stream events with a "p" member too; clients ignore it.
    private static Task WriteEventAsync(HttpContext http, string type, JsonObject payload, int index)
    {
        payload["p"] = BedrockRuntime.Padding(index);
        return BedrockRuntime.WriteFrameAsync(http, EventStreamMessage.Event(type, Encoding.UTF8.GetBytes(payload.ToJsonString())));
    }
}

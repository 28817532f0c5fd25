using System.Diagnostics;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Invocation;

/// <summary>Invokes one imported model many times over one connection pool: resolves a model name to its ARN once
/// (and again when that ARN is gone), reads the model's chat template once from its S3 source, and runs each
/// prepared request plain or streamed with stop sequences enforced on our side.</summary>
public sealed class ImportedModelInvoker : IDisposable
{
    /// <summary>InvokeModel's body limit (bedrock-wire-protocol.md §3.1).</summary>
    public const int MaxBodyBytes = 25_000_000;

    private const long MaxTemplateFileBytes = 16L * 1024 * 1024;

    private readonly AwsSession _session;
    private readonly RetryOptions _retry;
    private readonly IEngineLog _log;
    private readonly BedrockRuntimeClient _runtime;
    private readonly Lazy<BedrockControlClient> _control;

    public ImportedModelInvoker(AwsSession session, RetryOptions retry, IEngineLog log)
        : this(session, retry, log, new BedrockRuntimeClient(session, retry, log))
    {
    }

    /// <param name="runtime">The runtime client (tests pass one over a fake transport); disposed with the invoker.</param>
    internal ImportedModelInvoker(AwsSession session, RetryOptions retry, IEngineLog log, BedrockRuntimeClient runtime)
    {
        _session = session;
        _retry = retry;
        _log = log;
        _runtime = runtime;
        _control = new Lazy<BedrockControlClient>(() => new BedrockControlClient(session, retry, log));
    }

    /// <summary>An imported-model ARN as is; a name resolved once (per endpoint and region) with GetImportedModel
    /// and remembered for the process (<see cref="ModelArnCache"/>).</summary>
    public Task<string> ResolveModelArnAsync(string modelId, CancellationToken cancellationToken)
        => ModelArnCache.Shared.ResolveAsync(Scope(_session), modelId, name => LookUpArnAsync(name, cancellationToken));

    /// <summary>Runs <paramref name="work"/> (read the template, invoke) with the ARN <paramref name="modelId"/> stands
    /// for. When a remembered name's ARN answers not found, the name is resolved once more and the work runs again,
    /// so a model removed and imported anew under the same name is found.</summary>
    public Task<T> WithModelAsync<T>(string modelId, Func<string, Task<T>> work, CancellationToken cancellationToken)
        => ModelArnCache.Shared.UseAsync(Scope(_session), modelId, name => LookUpArnAsync(name, cancellationToken), _log, async arn =>
        {
            try
            {
                return await work(arn).ConfigureAwait(false);
            }
            catch (ResourceNotFoundException)
            {
                ChatTemplateCache.Shared.Forget(arn);
                throw;
            }
        });

    /// <summary>Forgets a deleted model, named by name or ARN: its names and its chat template.</summary>
    public static void ForgetModel(AwsSession session, string modelIdentifier)
    {
        foreach (var arn in ModelArnCache.Shared.Forget(Scope(session), modelIdentifier))
        {
            ChatTemplateCache.Shared.Forget(arn);
        }

        ChatTemplateCache.Shared.Forget(modelIdentifier);
    }

    /// <summary>Where a name means one model: the Bedrock endpoint and the region.</summary>
    internal static string Scope(AwsSession session) => session.ResolveEndpoint(AwsService.Bedrock) + "|" + session.Region;

    private async Task<string> LookUpArnAsync(string name, CancellationToken cancellationToken)
    {
        var model = await _control.Value.GetImportedModelAsync(name, cancellationToken).ConfigureAwait(false);
        var arn = model.ModelArn ?? throw new UnexpectedResponseException($"GetImportedModel returned no ARN for '{name}'.", 200, null);
        _log.Verbose($"Imported model '{name}' is {arn}.");
        return arn;
    }

    /// <summary>The chat template of the model's source (chat_template.jinja, or chat_template in tokenizer_config.json),
    /// read once per source; null when the source has none or cannot be read (a warning says why). A model that is
    /// gone is no reason to warn: ResourceNotFoundException goes to the caller and nothing is remembered.</summary>
    public Task<ChatTemplate?> GetChatTemplateAsync(string modelArn, CancellationToken cancellationToken)
        => ChatTemplateCache.Shared.GetOrLoadAsync(modelArn, async token =>
        {
            try
            {
                var model = await _control.Value.GetImportedModelAsync(modelArn, token).ConfigureAwait(false);
                if (model.S3Uri == null || !S3Uri.TryParse(model.S3Uri, out var folder))
                {
                    return null;
                }

                using var source = new S3PrefixSource(_session, folder!, _log, _retry);
                var jinja = await source.ReadTextAsync(ChatTemplateSource.TemplateFileName, MaxTemplateFileBytes, token).ConfigureAwait(false);
                var tokenizerConfig = await source.ReadTextAsync(ChatTemplateSource.TokenizerConfigFileName, MaxTemplateFileBytes, token).ConfigureAwait(false);
                var template = ChatTemplateSource.Read(jinja, tokenizerConfig, modelArn);
                _log.Verbose(template == null
                    ? $"The source of {modelArn} ({model.S3Uri}) has no chat template: messages go out in the OpenAI chat format."
                    : $"Using the chat template of {model.S3Uri} for messages.");
                return template;
            }
            catch (AwsServiceException error) when (!(error is ResourceNotFoundException))
            {
                _log.Warning($"Could not read the chat template of {modelArn} ({error.ErrorCode}: {error.Message}); messages go out in the OpenAI chat format.");
                return null;
            }
        }, cancellationToken);

    /// <summary>Sends one prepared request. With <paramref name="stream"/>, text is handed to <paramref name="onText"/>
    /// as it arrives and the stream is closed as soon as a stop sequence appears, so no more tokens are paid for.</summary>
    public async Task<InvocationResult> InvokeAsync(string modelArn, PreparedInvocation prepared, StopSequenceSet stops, bool stream,
        Action<string>? onText, CancellationToken cancellationToken)
    {
        if (prepared.Body.Length > MaxBodyBytes)
        {
            throw new InvocationValidationException(
                $"The request body is {prepared.Body.Length:N0} bytes; InvokeModel accepts at most {MaxBodyBytes:N0}. Shorten the prompt.", "Prompt");
        }

        var request = new InvokeModelRequest { ModelId = modelArn, Body = prepared.Body };
        var clock = Stopwatch.StartNew();
        InvocationResult result;
        if (!stream)
        {
            var response = await _runtime.InvokeModelAsync(request, cancellationToken).ConfigureAwait(false);
            result = InvocationResponseParser.Parse(response, stops);
        }
        else
        {
            var accumulator = new StreamAccumulator(stops);
            long? firstToken = null;
            await foreach (var chunk in _runtime.InvokeModelWithResponseStreamAsync(request, cancellationToken).ConfigureAwait(false))
            {
                var step = accumulator.Add(chunk.Bytes);
                if (step.ReceivedText && firstToken == null)
                {
                    firstToken = clock.ElapsedMilliseconds;
                }

                if (step.Text.Length > 0)
                {
                    onText?.Invoke(step.Text);
                }

                if (step.StopSequenceReached)
                {
                    _log.Verbose($"Stop sequence reached after {accumulator.ChunkCount} chunks: closing the stream.");
                    break;
                }
            }

            var rest = accumulator.Complete();
            if (rest.Text.Length > 0)
            {
                onText?.Invoke(rest.Text);
            }

            result = accumulator.ToResult();
            result.FirstTokenMs = firstToken;
            result.ServiceLatencyMs = accumulator.InvocationLatencyMs;
        }

        result.LatencyMs = clock.ElapsedMilliseconds;
        result.ModelArn = modelArn;
        result.Prompt ??= prepared.Prompt;
        return result;
    }

    /// <summary>Sends one Converse request (ConverseStream with <paramref name="stream"/>) to any model id Converse takes:
    /// an imported-model ARN, a foundation model, an inference profile. The answer is cut at the first stop sequence
    /// and a stream is closed there, as for InvokeModel. An imported model the service will not converse with is a
    /// <see cref="ConverseNotSupportedException"/>.</summary>
    public async Task<InvocationResult> ConverseAsync(ConverseRequest request, StopSequenceSet stops, bool stream,
        Action<string>? onText, CancellationToken cancellationToken)
    {
        if (request == null) throw new ArgumentNullException(nameof(request));
        ConverseInvocation.CheckSize(request);
        var clock = Stopwatch.StartNew();
        InvocationResult result;
        try
        {
            if (!stream)
            {
                var response = await _runtime.ConverseAsync(request, cancellationToken).ConfigureAwait(false);
                result = ConverseInvocation.ToResult(response, stops);
            }
            else
            {
                result = await ConverseStreamAsync(request, stops, onText, clock, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ValidationException error) when (ModelIdentifier.Classify(request.ModelId).IsImported() && RefusesConverse(error.Message))
        {
            throw new ConverseNotSupportedException(request.ModelId, error.Message, error);
        }

        result.LatencyMs = clock.ElapsedMilliseconds;
        result.ModelArn = request.ModelId;
        result.Prompt ??= ConverseInvocation.LastUserText(request);
        return result;
    }

    /// <summary>The service's words for "this model does not take this API" ("This action doesn't support the model
    /// that you provided..."), as opposed to a request it found invalid.</summary>
    internal static bool RefusesConverse(string? message)
        => message != null && (message.IndexOf("support", StringComparison.OrdinalIgnoreCase) >= 0
            || message.IndexOf("Converse", StringComparison.OrdinalIgnoreCase) >= 0);

    private async Task<InvocationResult> ConverseStreamAsync(ConverseRequest request, StopSequenceSet stops, Action<string>? onText,
        Stopwatch clock, CancellationToken cancellationToken)
    {
        // One accumulator over the text of every block: the cut is the one StreamAccumulator makes for InvokeModel.
        var accumulator = new StreamAccumulator(stops);
        var toolUses = new ConverseToolUseAccumulator();
        var events = new List<object?>();
        long? firstToken = null;
        string? serviceReason = null;
        TokenUsage? usage = null;
        long? serviceLatency = null;
        await foreach (var item in _runtime.ConverseStreamAsync(request, cancellationToken).ConfigureAwait(false))
        {
            events.Add(ConverseInvocation.ToPlain(item));
            toolUses.Add(item);
            if (item.EventType == ConverseStreamEventTypes.MessageStop) serviceReason = item.StopReason;
            if (item.EventType == ConverseStreamEventTypes.Metadata)
            {
                usage = item.Usage ?? usage;
                serviceLatency = item.Metrics?.LatencyMs ?? serviceLatency;
            }

            if (item.EventType != ConverseStreamEventTypes.ContentBlockDelta || item.Delta?.Text == null) continue;
            var step = accumulator.AddText(item.Delta.Text);
            if (step.ReceivedText && firstToken == null) firstToken = clock.ElapsedMilliseconds;
            if (step.Text.Length > 0) onText?.Invoke(step.Text);
            if (step.StopSequenceReached)
            {
                _log.Verbose($"Stop sequence reached after {events.Count} events: closing the stream.");
                break;
            }
        }

        var rest = accumulator.Complete();
        if (rest.Text.Length > 0) onText?.Invoke(rest.Text);
        var text = accumulator.ToResult();
        var result = new InvocationResult
        {
            Completion = text.Completion,
            ServiceStopReason = serviceReason,
            InputTokens = usage?.InputTokens,
            OutputTokens = usage?.OutputTokens,
            FirstTokenMs = firstToken,
            ServiceLatencyMs = serviceLatency,
            Raw = events.ToArray(),
            ToolCalls = toolUses.ToolCalls,
        };
        InvocationResponseParser.SetStopReason(result, text.StopSequence);
        return result;
    }

    public void Dispose()
    {
        _runtime.Dispose();
        if (_control.IsValueCreated)
        {
            _control.Value.Dispose();
        }
    }
}

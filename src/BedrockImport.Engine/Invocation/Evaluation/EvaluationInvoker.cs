using System.Globalization;

namespace BedrockImport.Engine.Invocation.Evaluation;

/// <summary>How every model of an evaluation is asked; the same for all of them, and part of the run key.</summary>
public sealed class EvaluationInferenceSettings
{
    /// <summary>The field report's stop: the answer ends at the closing tag.</summary>
    public static readonly IReadOnlyList<string> DefaultStopSequences = new[] { AnswerExtractor.CloseTag };

    public const int DefaultMaxTokens = 64;

    /// <summary>Null: InvokeModel for imported models, Converse for Bedrock's own models (as Invoke-ImportedModel).</summary>
    public RuntimeApi? Api { get; set; }
    public InvocationFormat? Format { get; set; }
    public int MaxTokens { get; set; } = DefaultMaxTokens;
    public double Temperature { get; set; }
    public IReadOnlyList<string> StopSequences { get; set; } = DefaultStopSequences;

    /// <summary>Ask the service to answer with one of the item's choices (structured outputs).</summary>
    public bool ConstrainToChoices { get; set; }

    /// <summary>A canonical text of these settings for the run key: a change to any of them starts a new run.</summary>
    public string Canonical() => string.Join("\u0001",
        "api=" + (Api?.ToString() ?? "default"),
        "format=" + (Format?.ToString() ?? "default"),
        "maxTokens=" + MaxTokens.ToString(CultureInfo.InvariantCulture),
        "temperature=" + Temperature.ToString("R", CultureInfo.InvariantCulture),
        "stop=" + string.Join("\u0002", StopSequences),
        "constrain=" + (ConstrainToChoices ? "1" : "0"));
}

/// <summary>Sends one evaluation prompt to one model through <see cref="ImportedModelInvoker"/> (so cold starts,
/// retries and the client-side stop sequences hold as for Invoke-ImportedModel) and returns what the scorer needs.
/// Imported models go through InvokeModel (Text: the prompt as is; Messages: rendered with the model's chat template,
/// or as OpenAIChat when it has none), anything else through Converse.</summary>
public sealed class EvaluationInvoker
{
    private readonly ImportedModelInvoker _invoker;
    private readonly EvaluationInferenceSettings _settings;
    private readonly StopSequenceSet _stops;
    private readonly PromptStyle _style;

    public EvaluationInvoker(ImportedModelInvoker invoker, EvaluationInferenceSettings settings, PromptStyle style)
    {
        _style = style;
        _invoker = invoker ?? throw new ArgumentNullException(nameof(invoker));
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _stops = new StopSequenceSet(settings.StopSequences);
    }

    /// <summary>The API a model is asked with.</summary>
    /// <exception cref="InvocationValidationException">A Bedrock model with -Api InvokeModel.</exception>
    public RuntimeApi ApiFor(string model) => ModelIdentifier.ResolveApi(model, _settings.Api);

    /// <summary>Whether the answers of this model can be constrained to the choices (structured outputs exist for
    /// imported models through InvokeModel's OpenAI formats only).</summary>
    public bool CanConstrain(string model) => ApiFor(model) == RuntimeApi.InvokeModel && _settings.Format != InvocationFormat.BedrockCompletion;

    /// <summary>Checks a model before any item is sent: the API is allowed, and an imported model's name resolves.</summary>
    public async Task PrepareAsync(string model, CancellationToken cancellationToken)
    {
        var api = ApiFor(model);
        if (api == RuntimeApi.InvokeModel || ModelIdentifier.Classify(model).IsImported())
            await _invoker.ResolveModelArnAsync(model, cancellationToken).ConfigureAwait(false);
    }

    public async Task<EvaluationAnswer> AskAsync(EvaluationRequest request, CancellationToken cancellationToken)
    {
        var invocation = Request(request);
        InvocationResult result;
        if (ApiFor(request.Model) == RuntimeApi.Converse)
        {
            Task<InvocationResult> Send(string target) =>
                _invoker.ConverseAsync(ConverseInvocation.Build(target, invocation), _stops, false, null, cancellationToken);
            result = ModelIdentifier.Classify(request.Model).IsImported()
                ? await _invoker.WithModelAsync(request.Model, Send, cancellationToken).ConfigureAwait(false)
                : await Send(request.Model).ConfigureAwait(false);
        }
        else
        {
            result = await _invoker.WithModelAsync(request.Model, async modelArn =>
            {
                if (invocation.Messages != null)
                    invocation.ChatTemplate = await _invoker.GetChatTemplateAsync(modelArn, cancellationToken).ConfigureAwait(false);
                var prepared = InvocationRequestBuilder.Build(invocation);
                return await _invoker.InvokeAsync(modelArn, prepared, _stops, false, null, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        return new EvaluationAnswer(result.Completion ?? "", result.LatencyMs ?? 0, result.InputTokens ?? 0, result.OutputTokens ?? 0);
    }

    private InvocationRequest Request(EvaluationRequest request)
    {
        var constrain = _settings.ConstrainToChoices && CanConstrain(request.Model);
        var prompt = request.Prompt;
        var messages = _style == PromptStyle.Text ? null : prompt.Messages.Select(m => new ChatMessage(m.Role, m.Content)).ToList();
        return new InvocationRequest
        {
            Format = _settings.Format,
            Prompt = messages == null ? prompt.Text : null,
            Messages = messages,
            MaxTokens = _settings.MaxTokens,
            Temperature = _settings.Temperature,
            StopSequences = _settings.StopSequences,
            AnswerChoices = constrain ? request.Item.Choices : null,
        };
    }
}

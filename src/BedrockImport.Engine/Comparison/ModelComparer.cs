using BedrockImport.Engine.Invocation;

namespace BedrockImport.Engine.Comparison;

/// <summary>Sends one greedy completion request to the local weights and the same bytes to the imported model, and
/// compares the two completions token by token under the model folder's own tokenizer.</summary>
public sealed class ModelComparer
{
    /// <summary>Prompts used when the caller gives none: short, varied, and each with one likely continuation.</summary>
    public static readonly IReadOnlyList<string> DefaultPrompts = new[]
    {
        "The capital of France is",
        "def fibonacci(n):",
        "Once upon a time, in a small village,",
        "1, 2, 3, 4, 5,",
    };

    private readonly LocalModelHost _local;
    private readonly ImportedModelInvoker _localInvoker;
    private readonly ImportedModelInvoker _remote;

    /// <param name="localInvoker">An invoker over <see cref="LocalModelHost.Session"/>.</param>
    public ModelComparer(LocalModelHost local, ImportedModelInvoker localInvoker, ImportedModelInvoker remote)
    {
        _local = local;
        _localInvoker = localInvoker;
        _remote = remote;
    }

    public static PreparedInvocation Prepare(string prompt, int maxTokens) => InvocationRequestBuilder.Build(new InvocationRequest
    {
        Prompt = prompt,
        MaxTokens = maxTokens,
        Temperature = 0,
    });

    /// <summary>Compares one prompt; <paramref name="remoteModelArn"/> is the imported model's ARN (resolved by the caller).</summary>
    public async Task<ModelComparisonResult> CompareAsync(string remoteModelArn, string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var prepared = Prepare(prompt, maxTokens);
        var stops = StopSequenceSet.None;
        InvocationResult local;
        try
        {
            local = await _localInvoker.InvokeAsync(_local.ModelArn, prepared, stops, stream: false, onText: null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Wire.AwsServiceException && !cancellationToken.IsCancellationRequested)
        {
            throw new LocalModelException(LocalModelException.LocalEngineFailed,
                $"The local engine could not run the model folder ({_local.ModelArchitecture}): {e.Message}", e);
        }

        var remote = await _remote.InvokeAsync(remoteModelArn, prepared, stops, stream: false, onText: null, cancellationToken).ConfigureAwait(false);
        var localText = local.Completion ?? "";
        var remoteText = remote.Completion ?? "";
        var tokens = await _local.TokenizeAsync(new[] { localText, remoteText }, cancellationToken).ConfigureAwait(false);
        var (agreed, parted) = CompletionParting.Compare(tokens[0], tokens[1]);
        var agree = string.Equals(localText, remoteText, StringComparison.Ordinal);
        return new ModelComparisonResult
        {
            Prompt = prompt,
            Agree = agree,
            AgreedTokens = agreed,
            // Different texts that encode alike (normalisation) still differ: they part at the first differing id, or at the end.
            PartedAtToken = agree ? null : parted ?? agreed,
            LocalCompletion = localText,
            RemoteCompletion = remoteText,
            LocalTokens = tokens[0],
            RemoteTokens = tokens[1],
            LocalStopReason = local.StopReason,
            RemoteStopReason = remote.StopReason,
            ModelArn = remoteModelArn,
        };
    }
}

using System.Text;
using System.Text.Json;

namespace BedrockImport.Engine.Invocation;

/// <summary>What one stream chunk released.</summary>
public sealed class StreamStep
{
    internal static readonly StreamStep Empty = new StreamStep("", false, false);

    internal StreamStep(string text, bool stopSequenceReached, bool receivedText)
    {
        Text = text;
        StopSequenceReached = stopSequenceReached;
        ReceivedText = receivedText;
    }

    /// <summary>The chunk carried generated text, even if all of it is still held back (use it for FirstTokenMs).</summary>
    public bool ReceivedText { get; }

    /// <summary>Text that is safe to show now: it can no longer turn out to be part of a stop sequence.</summary>
    public string Text { get; }

    /// <summary>A stop sequence has completed: close the stream now so no more tokens are generated and paid for.</summary>
    public bool StopSequenceReached { get; }
}

/// <summary>Turns the decoded chunks of InvokeModelWithResponseStream into text as it arrives, enforcing stop
/// sequences the service may ignore. Each character reaches the caller exactly once; text is held back only while it
/// could still be the start of a stop sequence, so a partial stop sequence is never shown and then taken back.
/// Chunk shapes: {"generation": delta, "stop_reason"}, {"choices":[{"text"}]}, {"choices":[{"delta":{"content"}}]},
/// {"outputs":[{"text"}]}; any chunk may carry amazon-bedrock-invocationMetrics. Not thread-safe.</summary>
public sealed class StreamAccumulator
{
    private readonly StopSequenceSet _stops;
    private readonly StringBuilder _text = new StringBuilder();
    private readonly List<object?> _chunks = new List<object?>();
    private readonly OpenAIChatToolCallAccumulator _toolCalls = new OpenAIChatToolCallAccumulator();
    private int _released;
    private StopSequenceMatch? _match;
    private string? _serviceStopReason;
    private string? _serviceMatchedStop;
    private int? _inputTokens;
    private int? _outputTokens;
    private bool _completed;

    public StreamAccumulator(StopSequenceSet? stopSequences = null)
    {
        _stops = stopSequences ?? StopSequenceSet.None;
    }

    public bool StopSequenceReached => _match != null;

    /// <summary>Chunks received so far.</summary>
    public int ChunkCount => _chunks.Count;

    /// <summary>amazon-bedrock-invocationMetrics.invocationLatency, when a chunk carried it.</summary>
    public int? InvocationLatencyMs { get; private set; }

    /// <summary>amazon-bedrock-invocationMetrics.firstByteLatency, when a chunk carried it.</summary>
    public int? FirstByteLatencyMs { get; private set; }

    /// <summary>Feeds one chunk (ResponseStreamChunk.Bytes). After a stop sequence, further chunks are ignored.</summary>
    /// <exception cref="InvocationResponseFormatException">The chunk is not a JSON object.</exception>
    public StreamStep Add(byte[] chunkJson)
    {
        if (_match != null || _completed) return StreamStep.Empty;
        string? delta;
        using (var document = ResponseJson.ParseDocument(chunkJson, "stream chunk"))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvocationResponseFormatException("A stream chunk is JSON but not an object (" + root.ValueKind + ").");
            _chunks.Add(ResponseJson.ToPlain(root));
            delta = ExtractDelta(root);
            _toolCalls.Add(root);
            ReadMetadata(root);
        }
        return AddText(delta);
    }

    /// <summary>Feeds text directly (for callers that already extracted the delta).</summary>
    public StreamStep AddText(string? delta)
    {
        if (_match != null || _completed) return StreamStep.Empty;
        if (string.IsNullOrEmpty(delta)) return StreamStep.Empty;

        var clearLength = _text.Length;
        _text.Append(delta);
        if (_stops.IsEmpty) return Release(_text.Length, false, true);

        // Only the unreleased tail can hold (the start of) a stop sequence: released text never ends in a stop prefix.
        var pending = _text.ToString(_released, _text.Length - _released);
        var match = _stops.FindFirst(pending, clearLength - _released);
        if (match != null)
        {
            _match = new StopSequenceMatch(match.Sequence, match.Index + _released);
            return Release(_released + (_stops.IncludeStopSequence ? match.End : match.Index), true, true);
        }
        return Release(_text.Length - _stops.PendingPrefixLength(pending, 0), false, true);
    }

    /// <summary>The stream has ended (or was closed after a stop sequence): releases any text still held back.</summary>
    public StreamStep Complete()
    {
        if (_completed) return StreamStep.Empty;
        _completed = true;
        if (_match != null) return StreamStep.Empty;
        return Release(_text.Length, false, false);
    }

    /// <summary>The whole answer. Call after <see cref="Complete"/>.</summary>
    public InvocationResult ToResult()
    {
        if (!_completed) Complete();
        var full = _text.ToString();
        var result = new InvocationResult
        {
            Completion = _match != null ? _stops.CutAt(full, _match) : full,
            ServiceStopReason = _serviceStopReason,
            InputTokens = _inputTokens,
            OutputTokens = _outputTokens,
            Raw = _chunks.ToArray(),
            ToolCalls = _toolCalls.ToolCalls,
        };
        InvocationResponseParser.SetStopReason(result, _match?.Sequence ?? _serviceMatchedStop);
        return result;
    }

    private StreamStep Release(int upTo, bool stopReached, bool receivedText)
    {
        upTo = Math.Max(upTo, _released);
        var released = _text.ToString(_released, upTo - _released);
        _released = upTo;
        return released.Length == 0 && !stopReached && !receivedText ? StreamStep.Empty : new StreamStep(released, stopReached, receivedText);
    }

    internal static string? ExtractDelta(JsonElement root) =>
        ResponseJson.String(root, "generation")
        ?? ResponseJson.Text(root, "choices", 0, "delta", "content")
        ?? ResponseJson.String(root, "choices", 0, "text")
        ?? ResponseJson.String(root, "outputs", 0, "text")
        ?? ResponseJson.String(root, "text");

    private void ReadMetadata(JsonElement root)
    {
        var reason = InvocationResponseParser.ExtractStopReason(root, out var matchedStop);
        if (reason != null) _serviceStopReason = reason;
        if (matchedStop != null) _serviceMatchedStop = matchedStop;

        _inputTokens = InvocationResponseParser.ExtractInputTokens(root) ?? _inputTokens;
        _outputTokens = InvocationResponseParser.ExtractOutputTokens(root) ?? _outputTokens;

        // The metrics block is Bedrock's own count: it wins over the model's numbers.
        var metrics = ResponseJson.Property(root, "amazon-bedrock-invocationMetrics");
        if (metrics == null) return;
        _inputTokens = ResponseJson.Int(metrics.Value, "inputTokenCount") ?? _inputTokens;
        _outputTokens = ResponseJson.Int(metrics.Value, "outputTokenCount") ?? _outputTokens;
        InvocationLatencyMs = ResponseJson.Int(metrics.Value, "invocationLatency") ?? InvocationLatencyMs;
        FirstByteLatencyMs = ResponseJson.Int(metrics.Value, "firstByteLatency") ?? FirstByteLatencyMs;
    }
}

using System.Runtime.CompilerServices;
using BedrockImport.Engine.Bedrock;

namespace BedrockImport.Engine.Invocation;

/// <summary>Client-side stop sequences for Converse and ConverseStream (field report 000: a service may ignore
/// stopSequences). The same matcher as InvokeModel (StopSequenceSet, StreamAccumulator), applied to each text content
/// block on its own (toolUse blocks are passed through untouched): the answer ends where a stop sequence first completes inside a block, the stop sequence itself is
/// dropped (as Converse drops it) and stopReason becomes stop_sequence. A streamed and a non-streamed answer are cut at
/// the same place.</summary>
public static class ConverseStops
{
    /// <summary>The request's inferenceConfig.stopSequences (empty when it has none).</summary>
    public static StopSequenceSet For(ConverseRequest request)
        => new StopSequenceSet(request?.InferenceConfig?.StopSequences);

    /// <summary>Cuts a Converse answer at the first stop sequence: the text block holding it is cut, later blocks are
    /// dropped, StopReason becomes stop_sequence and ClientStopSequence names the sequence. Changes and returns
    /// response; unchanged when no block holds a stop sequence.</summary>
    public static ConverseResponse Apply(ConverseResponse response, StopSequenceSet stops)
    {
        if (response == null) throw new ArgumentNullException(nameof(response));
        var content = response.Output?.Message?.Content;
        if (stops == null || stops.IsEmpty || content == null) return response;
        for (var i = 0; i < content.Count; i++)
        {
            var text = content[i]?.Text;
            if (text == null) continue;
            var cut = stops.Cut(text, out var match);
            if (match == null) continue;
            content[i] = new ContentBlock { Text = cut };
            content.RemoveRange(i + 1, content.Count - i - 1);
            response.StopReason = ConverseStopReasons.StopSequence;
            response.ClientStopSequence = match.Sequence;
            return response;
        }
        return response;
    }

    /// <summary>Passes a ConverseStream's events through, holding text back only while it could still be the start of
    /// a stop sequence. When a stop sequence completes, the source is disposed at once (closing the connection, so no
    /// more tokens are generated and paid for) and the stream ends with the text before the stop, a contentBlockStop
    /// and a messageStop (stop_sequence), both FromClient. The service's metadata event (usage) is not read then.</summary>
    public static async IAsyncEnumerable<ConverseStreamEvent> ApplyAsync(IAsyncEnumerable<ConverseStreamEvent> events, StopSequenceSet stops,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (events == null) throw new ArgumentNullException(nameof(events));
        var source = events.GetAsyncEnumerator(cancellationToken);
        var disposed = false;
        try
        {
            StreamAccumulator? block = null;
            var blockIndex = 0;
            while (await source.MoveNextAsync().ConfigureAwait(false))
            {
                var item = source.Current;
                if (stops == null || stops.IsEmpty)
                {
                    yield return item;
                    continue;
                }

                var index = item.ContentBlockIndex ?? 0;
                if (item.EventType == ConverseStreamEventTypes.ContentBlockDelta && item.Delta?.Text != null)
                {
                    if (block != null && blockIndex != index)
                    {
                        var rest = block.Complete();
                        if (rest.Text.Length > 0) yield return TextDelta(blockIndex, rest.Text);
                        block = null;
                    }

                    block ??= new StreamAccumulator(stops);
                    blockIndex = index;
                    var step = block.AddText(item.Delta.Text);
                    if (step.StopSequenceReached)
                    {
                        disposed = true;
                        await source.DisposeAsync().ConfigureAwait(false);
                        if (step.Text.Length > 0) yield return TextDelta(blockIndex, step.Text);
                        yield return new ConverseStreamEvent { EventType = ConverseStreamEventTypes.ContentBlockStop, ContentBlockIndex = blockIndex, FromClient = true };
                        yield return new ConverseStreamEvent { EventType = ConverseStreamEventTypes.MessageStop, StopReason = ConverseStopReasons.StopSequence, FromClient = true };
                        yield break;
                    }

                    if (step.Text.Length > 0) yield return TextDelta(blockIndex, step.Text);
                    continue;
                }

                // Tool blocks (contentBlockStart.toolUse, delta.toolUse) pass through untouched; text held back for a
                // possible stop sequence goes out first when another block begins.
                if (block != null && (item.EventType == ConverseStreamEventTypes.MessageStop
                    || (item.EventType == ConverseStreamEventTypes.ContentBlockStop && index == blockIndex)
                    || (item.ContentBlockIndex != null && index != blockIndex)))
                {
                    var rest = block.Complete();
                    if (rest.Text.Length > 0) yield return TextDelta(blockIndex, rest.Text);
                    block = null;
                }

                yield return item;
            }

            if (block != null)
            {
                var rest = block.Complete();
                if (rest.Text.Length > 0) yield return TextDelta(blockIndex, rest.Text);
            }
        }
        finally
        {
            if (!disposed) await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static ConverseStreamEvent TextDelta(int index, string text) => new ConverseStreamEvent
    {
        EventType = ConverseStreamEventTypes.ContentBlockDelta,
        ContentBlockIndex = index,
        Delta = new ContentBlockDelta { Text = text },
    };
}

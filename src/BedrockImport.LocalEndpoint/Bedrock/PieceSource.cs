using System.Threading.Channels;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>The pieces of an answer for a stream, one per generated token: those of a finished generation (the stand-in,
/// answer books), or those of a weights generation running on another thread, each as soon as its token is chosen.
/// Disposing it cancels a generation still running (the client went away, a fault was injected) and waits for it to
/// end, so the model's lock is free again when the request ends.</summary>
internal sealed class PieceSource : IAsyncDisposable
{
    private readonly IReadOnlyList<string>? _pieces;
    private readonly Generation? _finished;
    private readonly Channel<StreamPiece>? _channel;
    private readonly Task<WeightsGeneration>? _running;
    private readonly CancellationTokenSource? _cancel;
    private int _index;

    private PieceSource(IReadOnlyList<string> pieces, Generation finished)
    {
        _pieces = pieces;
        _finished = finished;
    }

    private PieceSource(Func<Action<StreamPiece>, CancellationToken, WeightsGeneration> generate, CancellationToken requestAborted)
    {
        _channel = Channel.CreateUnbounded<StreamPiece>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        var writer = _channel.Writer;
        var token = _cancel.Token;
        // A thread of its own: the generation is CPU work that holds the model's lock from its first token to its last.
        _running = Task.Run(() =>
        {
            try
            {
                return generate(piece => writer.TryWrite(piece), token);
            }
            finally
            {
                writer.TryComplete();
            }
        }, CancellationToken.None);
    }

    /// <summary>A finished generation's pieces; <paramref name="atLeastOne"/> sends one empty piece for an empty answer
    /// (InvokeModel's stream always has a last chunk for the stop reason and metrics).</summary>
    public static PieceSource Of(Generation generation, bool atLeastOne)
        => new(generation.Tokens.Count == 0 && atLeastOne ? new[] { "" } : generation.Tokens, generation);

    /// <summary>Runs <paramref name="generate"/> now; its pieces come as it hands them on.</summary>
    public static PieceSource Live(Func<Action<StreamPiece>, CancellationToken, WeightsGeneration> generate, CancellationToken requestAborted)
        => new(generate, requestAborted);

    /// <summary>The next piece, or null after the last. A generation that fails rethrows its error here.</summary>
    public async ValueTask<StreamPiece?> NextAsync()
    {
        if (_pieces is not null)
            return _index < _pieces.Count ? new StreamPiece(_pieces[_index], ++_index == _pieces.Count, _finished!.PromptTokens) : null;
        if (await _channel!.Reader.WaitToReadAsync().ConfigureAwait(false) && _channel.Reader.TryRead(out var piece))
            return piece;
        await _running!.ConfigureAwait(false);
        return null;
    }

    /// <summary>The whole generation; with a live one, waits for it (it ends right after handing on its last piece).</summary>
    public async Task<WeightsGeneration> ResultAsync()
        => _finished is not null ? new WeightsGeneration(_finished, false) : await _running!.ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_running is null) return;
        _cancel!.Cancel();
        try
        {
            await _running.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Cancelled, or failed after the stream was given up: nothing is left to tell the client.
        }
        _cancel.Dispose();
    }
}

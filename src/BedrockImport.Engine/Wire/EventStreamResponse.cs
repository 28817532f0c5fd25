using System.Buffers;
using System.Text.Json;
using BedrockImport.Engine.EventStream;
using BedrockImport.Shared;

namespace BedrockImport.Engine.Wire;

/// <summary>The events of an application/vnd.amazon.eventstream answer, decoded as bytes arrive. Exception and error
/// frames are thrown as the catalogue's exception for their code; a corrupt stream is UnexpectedResponseException.
/// Owns the response: disposing it closes the connection at once.</summary>
internal sealed class EventStreamResponse : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly string _operation;
    private readonly EventStreamDecoder _decoder = new EventStreamDecoder();
    private readonly Queue<EventStreamMessage> _pending = new Queue<EventStreamMessage>();
    // Rented: a streamed call would otherwise allocate a fresh 16 KiB for its reads alone.
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private Stream? _stream;
    private bool _ended;

    public EventStreamResponse(HttpResponseMessage response, string operation)
    {
        _response = response;
        _operation = operation;
        RequestId = AwsErrors.RequestId(response);
    }

    public string? RequestId { get; }

    public string Operation => _operation;

    /// <returns>The next event frame (":message-type" event), or null at the end of the stream.</returns>
    public async Task<EventStreamMessage?> ReadEventAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _stream ??= await _response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        while (true)
        {
            while (_pending.Count > 0)
            {
                var message = _pending.Dequeue();
                if (IsEvent(message))
                {
                    return message;
                }
            }

            if (_ended)
            {
                return null;
            }

            var buffer = _buffer ?? throw new ObjectDisposedException(nameof(EventStreamResponse));
            var read = await _stream.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
            try
            {
                if (read == 0)
                {
                    _ended = true;
                    _decoder.Complete();
                    continue;
                }

                foreach (var message in _decoder.Feed(buffer, 0, read))
                {
                    _pending.Enqueue(message);
                }
            }
            catch (EventStreamException corrupt)
            {
                var contentType = _response.Content?.Headers.ContentType?.MediaType ?? "none";
                throw new UnexpectedResponseException(
                    $"{_operation} returned a corrupt event stream (Content-Type '{contentType}'): {corrupt.Message}", (int)_response.StatusCode, RequestId, corrupt);
            }
        }
    }

    /// <summary>True for an event; throws for an exception or error frame; false for frames of any other type.</summary>
    private bool IsEvent(EventStreamMessage message)
    {
        switch (message.GetString(":message-type"))
        {
            case "event":
                return true;
            case "exception":
                var type = message.GetString(":exception-type") ?? "UnknownException";
                var code = type.Length > 0 ? char.ToUpperInvariant(type[0]) + type.Substring(1) : type;
                throw ExceptionFromFrame(code, message.Payload);
            case "error":
                var errorCode = message.GetString(":error-code") ?? "UnknownError";
                var errorMessage = message.GetString(":error-message") ?? errorCode;
                throw AwsErrorCatalog.Create(errorCode, errorMessage, AwsErrorCatalog.ModeledStatus(errorCode), RequestId);
            default:
                return false;
        }
    }

    private AwsServiceException ExceptionFromFrame(string code, byte[] payload)
    {
        JsonElement? body = null;
        try
        {
            using var document = StrictJson.Parse(payload);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                body = document.RootElement.Clone();
            }
        }
        catch (JsonException)
        {
        }

        return AwsErrorCatalog.Create(code, JsonMembers.Message(body) ?? code + " in the response stream.", AwsErrorCatalog.ModeledStatus(code), RequestId, body);
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _response.Dispose();
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer != null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

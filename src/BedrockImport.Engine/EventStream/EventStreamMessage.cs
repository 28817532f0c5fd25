namespace BedrockImport.Engine.EventStream;

/// <summary>One event-stream frame: ordered headers and an opaque payload.</summary>
public sealed class EventStreamMessage
{
    private readonly byte[] _payload;

    public EventStreamMessage(IEnumerable<EventStreamHeader> headers, byte[] payload)
    {
        Headers = (headers ?? throw new ArgumentNullException(nameof(headers))).ToArray();
        _payload = payload ?? throw new ArgumentNullException(nameof(payload));
    }

    /// <summary>Takes the decoder's freshly built list as it is, without the copy the public constructor makes.</summary>
    internal EventStreamMessage(List<EventStreamHeader> decodedHeaders, byte[] payload)
    {
        Headers = decodedHeaders;
        _payload = payload;
    }

    public IReadOnlyList<EventStreamHeader> Headers { get; }

    /// <summary>The payload bytes (not copied; do not modify).</summary>
    public byte[] Payload => _payload;

    /// <summary>The first header with this name (ordinal, case-insensitive), or null.</summary>
    public EventStreamHeader? GetHeader(string name)
    {
        foreach (var header in Headers)
        {
            if (string.Equals(header.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return header;
            }
        }

        return null;
    }

    /// <summary>The value of a string header, or null when absent or not a string.</summary>
    public string? GetString(string name)
    {
        var header = GetHeader(name);
        return header != null && header.Type == EventStreamHeaderType.String ? header.AsString() : null;
    }

    /// <summary>An AWS `event` frame: :message-type event, :event-type, :content-type.</summary>
    public static EventStreamMessage Event(string eventType, byte[] payload, string contentType = "application/json")
        => new EventStreamMessage(new[]
        {
            EventStreamHeader.String(":event-type", eventType),
            EventStreamHeader.String(":content-type", contentType),
            EventStreamHeader.String(":message-type", "event"),
        }, payload);

    /// <summary>An AWS modeled `exception` frame: :message-type exception, :exception-type (lowerCamel shape name).</summary>
    public static EventStreamMessage Exception(string exceptionType, byte[] payload, string contentType = "application/json")
        => new EventStreamMessage(new[]
        {
            EventStreamHeader.String(":exception-type", exceptionType),
            EventStreamHeader.String(":content-type", contentType),
            EventStreamHeader.String(":message-type", "exception"),
        }, payload);

    /// <summary>An AWS unmodeled `error` frame: :message-type error, :error-code, :error-message, empty payload.</summary>
    public static EventStreamMessage Error(string errorCode, string errorMessage)
        => new EventStreamMessage(new[]
        {
            EventStreamHeader.String(":error-code", errorCode),
            EventStreamHeader.String(":error-message", errorMessage),
            EventStreamHeader.String(":message-type", "error"),
        }, Array.Empty<byte>());

    public override string ToString()
        => $"EventStreamMessage({string.Join(", ", Headers.Select(h => h.ToString()))}; {_payload.Length} payload bytes)";
}

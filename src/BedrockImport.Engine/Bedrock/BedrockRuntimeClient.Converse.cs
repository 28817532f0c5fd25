using System.Text.Json;
using BedrockImport.Engine.EventStream;
using BedrockImport.Engine.Json;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Bedrock;

/// <summary>Converse and ConverseStream: POST /model/{modelId}/converse and /converse-stream. The model id is one URI
/// label, percent-encoded whole as botocore encodes a non-greedy label (':' is %3A, '/' is %2F).</summary>
public sealed partial class BedrockRuntimeClient
{
    /// <summary>One Converse call. The service's stopReason and text are returned as they are (see ConverseStops for the
    /// client-side stop sequences).</summary>
    public async Task<ConverseResponse> ConverseAsync(ConverseRequest request, CancellationToken cancellationToken)
    {
        var uri = ConverseUri(request, "converse");
        var body = JsonSerializer.SerializeToUtf8Bytes(request, EngineJson.Options);
        return await SendAsync("Converse", () => CreateRequest(HttpMethod.Post, uri, body, "application/json"), HttpCompletionOption.ResponseContentRead,
            async (response, token) =>
            {
                using (response)
                {
                    var bytes = await AwsErrors.ReadBodyAsync(response.Content, int.MaxValue, token).ConfigureAwait(false);
                    var requestId = AwsErrors.RequestId(response);
                    ConverseResponse? parsed;
                    try
                    {
                        parsed = JsonSerializer.Deserialize<ConverseResponse>(bytes, EngineJson.Options);
                    }
                    catch (JsonException error)
                    {
                        throw new UnexpectedResponseException($"Converse returned a body that is not a Converse response: {error.Message}", (int)response.StatusCode, requestId, error);
                    }

                    if (parsed == null)
                    {
                        throw new UnexpectedResponseException("Converse returned an empty (null) body.", (int)response.StatusCode, requestId);
                    }

                    parsed.RequestId = requestId;
                    return parsed;
                }
            }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>ConverseStream: the events in the order the service sends them. Retried only before the first event;
    /// an exception event after it throws the catalogue's exception for its code. Disposing the enumerator (breaking
    /// out of await foreach) closes the connection at once.</summary>
    public IAsyncEnumerable<ConverseStreamEvent> ConverseStreamAsync(ConverseRequest request, CancellationToken cancellationToken)
    {
        var uri = ConverseUri(request, "converse-stream");
        var body = JsonSerializer.SerializeToUtf8Bytes(request, EngineJson.Options);
        return StreamAsync("ConverseStream", () => CreateRequest(HttpMethod.Post, uri, body, "application/json"), ReadConverseEventAsync, cancellationToken);
    }

    private Uri ConverseUri(ConverseRequest request, string action)
    {
        if (request == null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        return CachedModelUri(request.ModelId, action, nameof(request));
    }

    /// <returns>The next ConverseStreamOutput event, or null at the end of the stream (initial-response and event
    /// types this client does not know are skipped, as the SDKs skip unknown union members).</returns>
    private static async Task<ConverseStreamEvent?> ReadConverseEventAsync(EventStreamResponse stream, CancellationToken cancellationToken)
    {
        EventStreamMessage? message;
        while ((message = await stream.ReadEventAsync(cancellationToken).ConfigureAwait(false)) != null)
        {
            var type = message.GetString(":event-type");
            if (type is ConverseStreamEventTypes.MessageStart or ConverseStreamEventTypes.ContentBlockStart or ConverseStreamEventTypes.ContentBlockDelta
                or ConverseStreamEventTypes.ContentBlockStop or ConverseStreamEventTypes.MessageStop or ConverseStreamEventTypes.Metadata)
            {
                return ParseConverseEvent(stream, type, message.Payload);
            }
        }

        return null;
    }

    private static ConverseStreamEvent ParseConverseEvent(EventStreamResponse stream, string type, byte[] payload)
    {
        ConverseStreamEvent? parsed;
        try
        {
            parsed = payload.Length == 0 ? new ConverseStreamEvent() : JsonSerializer.Deserialize<ConverseStreamEvent>(payload, EngineJson.Options);
        }
        catch (JsonException error)
        {
            throw new UnexpectedResponseException($"{stream.Operation} sent a {type} event that is not valid JSON of its shape: {error.Message}", 200, stream.RequestId, error);
        }

        if (parsed == null)
        {
            throw new UnexpectedResponseException($"{stream.Operation} sent a {type} event whose payload is null.", 200, stream.RequestId);
        }

        parsed.EventType = type;
        parsed.Payload = payload.Length == 0 ? null : payload;
        return parsed;
    }
}

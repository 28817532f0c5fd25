using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.EventStream;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Bedrock;

/// <summary>Bedrock Runtime (host bedrock-runtime.&lt;region&gt;, signing name bedrock).</summary>
public sealed partial class BedrockRuntimeClient : RestJsonClient
{
    public BedrockRuntimeClient(AwsSession session, RetryOptions? retry = null, IEngineLog? log = null)
        : this(session, new RetryPolicy(retry, log), log, null)
    {
    }

    /// <param name="innerHandler">Transport under the SigV4 signer (tests pass a fake); null for the real one.</param>
    internal BedrockRuntimeClient(AwsSession session, RetryPolicy retry, IEngineLog? log, HttpMessageHandler? innerHandler)
        : base(session, AwsService.BedrockRuntime, retry, log, innerHandler)
    {
    }

    public Task<InvokeModelResult> InvokeModelAsync(InvokeModelRequest request, CancellationToken cancellationToken)
    {
        var uri = ModelUri(request, "invoke");
        return SendAsync("InvokeModel", () => CreateInvokeRequest(uri, request, streaming: false), HttpCompletionOption.ResponseContentRead,
            async (response, token) =>
            {
                using (response)
                {
                    return new InvokeModelResult
                    {
                        Body = await AwsErrors.ReadBodyAsync(response.Content, int.MaxValue, token).ConfigureAwait(false),
                        ContentType = response.Content?.Headers.ContentType?.ToString(),
                        RequestId = AwsErrors.RequestId(response),
                        InputTokenCount = IntHeader(response, "x-amzn-bedrock-input-token-count"),
                        OutputTokenCount = IntHeader(response, "x-amzn-bedrock-output-token-count"),
                        InvocationLatencyMs = IntHeader(response, "x-amzn-bedrock-invocation-latency"),
                    };
                }
            }, cancellationToken);
    }

    /// <summary>Streams `chunk` events as they are decoded. Retried only before the first chunk.
    /// Disposing the enumerator (breaking out of await foreach) closes the connection at once.</summary>
    public IAsyncEnumerable<ResponseStreamChunk> InvokeModelWithResponseStreamAsync(InvokeModelRequest request, CancellationToken cancellationToken)
    {
        var uri = ModelUri(request, "invoke-with-response-stream");
        return StreamAsync("InvokeModelWithResponseStream", () => CreateInvokeRequest(uri, request, streaming: true), ReadChunkAsync, cancellationToken);
    }

    /// <summary>An event-stream operation: the items readNext decodes, until it returns null. Everything up to and
    /// including the first item runs inside the retry policy; after that, errors surface to the caller. Disposing the
    /// enumerator closes the connection at once.</summary>
    private async IAsyncEnumerable<T> StreamAsync<T>(string operation, Func<HttpRequestMessage> createRequest,
        Func<EventStreamResponse, CancellationToken, Task<T?>> readNext, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class
    {
        var (stream, first) = await SendAsync(operation, createRequest, HttpCompletionOption.ResponseHeadersRead, async (response, token) =>
            {
                var opened = new EventStreamResponse(response, operation);
                try
                {
                    return (opened, await readNext(opened, token).ConfigureAwait(false));
                }
                catch
                {
                    opened.Dispose();
                    throw;
                }
            }, cancellationToken).ConfigureAwait(false);

        using (stream)
        {
            var item = first;
            while (item != null)
            {
                yield return item;
                item = await readNext(stream, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private Uri ModelUri(InvokeModelRequest request, string action)
    {
        if (request == null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        if (string.IsNullOrEmpty(request.ModelId))
        {
            throw new ArgumentException("ModelId is required.", nameof(request));
        }

        return CachedModelUri(request.ModelId, action, nameof(request));
    }

    // The last (model id, action, URI): a batch calls one model with one action, so the id is not encoded, concatenated
    // and parsed again for every request.
    private Tuple<string, string, Uri>? _lastModelUri;

    /// <summary>/model/{modelId}/{action}, the model id percent-encoded whole (an empty id is refused by Label).</summary>
    private Uri CachedModelUri(string modelId, string action, string parameterName)
    {
        var last = Volatile.Read(ref _lastModelUri);
        if (last != null && string.Equals(last.Item1, modelId, StringComparison.Ordinal) && string.Equals(last.Item2, action, StringComparison.Ordinal))
        {
            return last.Item3;
        }

        var uri = OperationUri("/model/" + Label(modelId, parameterName) + "/" + action);
        Volatile.Write(ref _lastModelUri, Tuple.Create(modelId, action, uri));
        return uri;
    }

    private HttpRequestMessage CreateInvokeRequest(Uri uri, InvokeModelRequest request, bool streaming)
    {
        var message = CreateRequest(HttpMethod.Post, uri, request.Body ?? Array.Empty<byte>(),
            string.IsNullOrEmpty(request.ContentType) ? "application/json" : request.ContentType!);
        var accept = string.IsNullOrEmpty(request.Accept) ? "application/json" : request.Accept;
        message.Headers.TryAddWithoutValidation(streaming ? "X-Amzn-Bedrock-Accept" : "Accept", accept);
        return message;
    }

    /// <returns>The next chunk event's bytes, or null at the end of the stream (events of other types are skipped).</returns>
    private static async Task<ResponseStreamChunk?> ReadChunkAsync(EventStreamResponse stream, CancellationToken cancellationToken)
    {
        EventStreamMessage? message;
        while ((message = await stream.ReadEventAsync(cancellationToken).ConfigureAwait(false)) != null)
        {
            if (message.GetString(":event-type") == "chunk")
            {
                return ParseChunk(stream, message.Payload);
            }
        }

        return null;
    }

    /// <summary>The chunk event's payload is {"bytes": base64}: read with a reader over the payload and decoded in place
    /// of building a document for one member, since it runs for every token.</summary>
    internal static ResponseStreamChunk ParseChunk(EventStreamResponse stream, byte[] payload)
    {
        byte[]? bytes = null;
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw ChunkWithoutBytes(stream);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isBytes = reader.ValueTextEquals(BytesMember);
                reader.Read();
                // The last "bytes" counts, as it does for a document's TryGetProperty.
                if (isBytes && reader.TokenType == JsonTokenType.String)
                {
                    bytes = reader.GetBytesFromBase64();
                    continue;
                }

                if (isBytes)
                {
                    bytes = null;
                }

                reader.Skip();
            }

            // Reads to the end, so a payload that is not one whole JSON value is refused as the document parse refused it.
            while (reader.Read())
            {
            }
        }
        catch (Exception error) when (error is JsonException || error is FormatException || error is InvalidOperationException)
        {
            throw new UnexpectedResponseException($"{stream.Operation} sent a chunk event that is not valid JSON with base64 'bytes': {error.Message}", 200, stream.RequestId, error);
        }

        return new ResponseStreamChunk { Bytes = bytes ?? throw ChunkWithoutBytes(stream) };
    }

    private static readonly byte[] BytesMember = "bytes"u8.ToArray();

    private static UnexpectedResponseException ChunkWithoutBytes(EventStreamResponse stream)
        => new UnexpectedResponseException($"{stream.Operation} sent a chunk event without a 'bytes' string.", 200, stream.RequestId);

    private static int? IntHeader(HttpResponseMessage response, string name)
    {
        var value = AwsErrors.Header(response, name);
        return value != null && int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : (int?)null;
    }
}

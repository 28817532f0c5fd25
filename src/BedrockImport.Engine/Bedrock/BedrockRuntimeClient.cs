using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.EventStream;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Bedrock
{
    /// <summary>Bedrock Runtime (host bedrock-runtime.&lt;region&gt;, signing name bedrock).</summary>
    public sealed class BedrockRuntimeClient : IDisposable
    {
        private const string ApiVersion = "2023-09-30";

        private readonly AwsHttpClient _http;
        private readonly RetryPolicy _retry;

        public BedrockRuntimeClient(AwsSession session, RetryOptions? retry = null, IEngineLog? log = null)
            : this(session, new RetryPolicy(retry, log), log, null)
        {
        }

        /// <param name="innerHandler">Transport under the SigV4 signer (tests pass a fake); null for the real one.</param>
        internal BedrockRuntimeClient(AwsSession session, RetryPolicy retry, IEngineLog? log, HttpMessageHandler? innerHandler)
        {
            _retry = retry;
            _http = new AwsHttpClient(session, AwsService.BedrockRuntime, "Amazon Bedrock Runtime", retry.Options, log ?? NullEngineLog.Instance, innerHandler);
        }

        /// <summary>The resolved runtime endpoint.</summary>
        public Uri Endpoint => _http.Endpoint;

        public async Task<InvokeModelResult> InvokeModelAsync(InvokeModelRequest request, CancellationToken cancellationToken)
        {
            const string operation = "InvokeModel";
            var uri = ModelUri(request, "invoke");
            _http.LogOperation(operation);
            return await _retry.ExecuteAsync(operation, async token =>
            {
                using var message = CreateRequest(uri, request, streaming: false);
                using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
                return new InvokeModelResult
                {
                    Body = await AwsErrors.ReadBodyAsync(response.Content, int.MaxValue, token).ConfigureAwait(false),
                    ContentType = response.Content?.Headers.ContentType?.ToString(),
                    RequestId = AwsErrors.RequestId(response),
                    InputTokenCount = IntHeader(response, "x-amzn-bedrock-input-token-count"),
                    OutputTokenCount = IntHeader(response, "x-amzn-bedrock-output-token-count"),
                    InvocationLatencyMs = IntHeader(response, "x-amzn-bedrock-invocation-latency"),
                };
            }, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Streams `chunk` events as they are decoded. Retried only before the first chunk.
        /// Disposing the enumerator (breaking out of await foreach) closes the connection at once.</summary>
        public async IAsyncEnumerable<ResponseStreamChunk> InvokeModelWithResponseStreamAsync(InvokeModelRequest request,
            [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            const string operation = "InvokeModelWithResponseStream";
            var uri = ModelUri(request, "invoke-with-response-stream");
            _http.LogOperation(operation);

            // Everything up to and including the first chunk runs inside the retry policy; after that, errors surface.
            var reader = await _retry.ExecuteAsync(operation, async token =>
            {
                using var message = CreateRequest(uri, request, streaming: true);
                var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
                var opened = new ResponseStreamReader(response, operation);
                try
                {
                    await opened.OpenAsync(token).ConfigureAwait(false);
                    opened.First = await opened.ReadChunkAsync(token).ConfigureAwait(false);
                    return opened;
                }
                catch
                {
                    opened.Dispose();
                    throw;
                }
            }, cancellationToken).ConfigureAwait(false);

            using (reader)
            {
                var chunk = reader.First;
                while (chunk != null)
                {
                    yield return chunk;
                    chunk = await reader.ReadChunkAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public void Dispose() => _http.Dispose();

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

            return AwsWire.BuildUri(_http.Endpoint, "/model/" + AwsWire.Encode(request.ModelId) + "/" + action);
        }

        private static HttpRequestMessage CreateRequest(Uri uri, InvokeModelRequest request, bool streaming)
        {
            var message = new HttpRequestMessage(HttpMethod.Post, uri);
            message.Headers.TryAddWithoutValidation("X-Amz-Api-Version", ApiVersion);
            var accept = string.IsNullOrEmpty(request.Accept) ? "application/json" : request.Accept;
            message.Headers.TryAddWithoutValidation(streaming ? "X-Amzn-Bedrock-Accept" : "Accept", accept);
            message.Content = new ByteArrayContent(request.Body ?? Array.Empty<byte>());
            message.Content.Headers.TryAddWithoutValidation("Content-Type", string.IsNullOrEmpty(request.ContentType) ? "application/json" : request.ContentType);
            return message;
        }

        private static int? IntHeader(HttpResponseMessage response, string name)
        {
            var value = AwsErrors.Header(response, name);
            return value != null && int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : (int?)null;
        }

        /// <summary>Reads event-stream frames from an open response as bytes arrive and turns them into chunks or exceptions.</summary>
        private sealed class ResponseStreamReader : IDisposable
        {
            private readonly HttpResponseMessage _response;
            private readonly string _operation;
            private readonly string? _requestId;
            private readonly EventStreamDecoder _decoder = new EventStreamDecoder();
            private readonly Queue<EventStreamMessage> _pending = new Queue<EventStreamMessage>();
            private readonly byte[] _buffer = new byte[16 * 1024];
            private Stream? _stream;
            private bool _ended;

            public ResponseStreamReader(HttpResponseMessage response, string operation)
            {
                _response = response;
                _operation = operation;
                _requestId = AwsErrors.RequestId(response);
            }

            public ResponseStreamChunk? First { get; set; }

            public async Task OpenAsync(CancellationToken cancellationToken)
            {
                cancellationToken.ThrowIfCancellationRequested();
                _stream = await _response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            }

            /// <returns>The next chunk, or null at the end of the stream.</returns>
            public async Task<ResponseStreamChunk?> ReadChunkAsync(CancellationToken cancellationToken)
            {
                while (true)
                {
                    while (_pending.Count > 0)
                    {
                        var chunk = Interpret(_pending.Dequeue());
                        if (chunk != null)
                        {
                            return chunk;
                        }
                    }

                    if (_ended)
                    {
                        return null;
                    }

                    var read = await _stream!.ReadAsync(_buffer, 0, _buffer.Length, cancellationToken).ConfigureAwait(false);
                    try
                    {
                        if (read == 0)
                        {
                            _ended = true;
                            _decoder.Complete();
                            continue;
                        }

                        foreach (var message in _decoder.Feed(_buffer, 0, read))
                        {
                            _pending.Enqueue(message);
                        }
                    }
                    catch (EventStreamException corrupt)
                    {
                        var contentType = _response.Content?.Headers.ContentType?.MediaType ?? "none";
                        throw new UnexpectedResponseException(
                            $"{_operation} returned a corrupt event stream (Content-Type '{contentType}'): {corrupt.Message}", (int)_response.StatusCode, _requestId, corrupt);
                    }
                }
            }

            private ResponseStreamChunk? Interpret(EventStreamMessage message)
            {
                switch (message.GetString(":message-type"))
                {
                    case "event":
                        return message.GetString(":event-type") == "chunk" ? ParseChunk(message.Payload) : null;
                    case "exception":
                        var type = message.GetString(":exception-type") ?? "UnknownException";
                        var code = type.Length > 0 ? char.ToUpperInvariant(type[0]) + type.Substring(1) : type;
                        throw ExceptionFromFrame(code, message.Payload);
                    case "error":
                        var errorCode = message.GetString(":error-code") ?? "UnknownError";
                        var errorMessage = message.GetString(":error-message") ?? errorCode;
                        throw AwsErrors.Create(errorCode, errorMessage, AwsErrors.ModeledStatus(errorCode), _requestId);
                    default:
                        return null;
                }
            }

            private AwsServiceException ExceptionFromFrame(string code, byte[] payload)
            {
                JsonElement? body = null;
                string? text = null;
                try
                {
                    using var document = JsonDocument.Parse(payload);
                    if (document.RootElement.ValueKind == JsonValueKind.Object)
                    {
                        body = document.RootElement.Clone();
                        text = StringMember(body.Value, "message") ?? StringMember(body.Value, "Message");
                    }
                }
                catch (JsonException)
                {
                }

                return AwsErrors.Create(code, text ?? code + " in the response stream.", AwsErrors.ModeledStatus(code), _requestId, body);
            }

            private ResponseStreamChunk ParseChunk(byte[] payload)
            {
                try
                {
                    using var document = JsonDocument.Parse(payload);
                    var root = document.RootElement;
                    if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("bytes", out var bytes) || bytes.ValueKind != JsonValueKind.String)
                    {
                        throw new UnexpectedResponseException($"{_operation} sent a chunk event without a 'bytes' string.", 200, _requestId);
                    }

                    return new ResponseStreamChunk { Bytes = bytes.GetBytesFromBase64() };
                }
                catch (Exception error) when (error is JsonException || error is FormatException || error is InvalidOperationException)
                {
                    throw new UnexpectedResponseException($"{_operation} sent a chunk event that is not valid JSON with base64 'bytes': {error.Message}", 200, _requestId, error);
                }
            }

            private static string? StringMember(JsonElement element, string name)
                => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

            public void Dispose()
            {
                _stream?.Dispose();
                _response.Dispose();
            }
        }
    }
}

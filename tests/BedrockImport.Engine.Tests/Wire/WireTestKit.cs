using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.EventStream;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Wire;

/// <summary>A request as the transport saw it, after signing.</summary>
public sealed class CapturedRequest
{
    public HttpMethod Method { get; init; }
    public Uri Uri { get; init; }
    public Dictionary<string, string> Headers { get; init; } = new(StringComparer.OrdinalIgnoreCase);
    public byte[] Body { get; init; }
    public bool HasContent { get; init; }
    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>Transport under the signer: records each request and answers from a script.</summary>
public sealed class FakeHandler : HttpMessageHandler
{
    private readonly Func<CapturedRequest, int, CancellationToken, Task<HttpResponseMessage>> _respond;
    public List<CapturedRequest> Requests { get; } = new();

    public FakeHandler(Func<CapturedRequest, int, HttpResponseMessage> respond) : this((r, i, _) => Task.FromResult(respond(r, i))) { }
    public FakeHandler(Func<CapturedRequest, int, CancellationToken, Task<HttpResponseMessage>> respond) => _respond = respond;

    /// <summary>Answers the responses in order; the last one repeats.</summary>
    public static FakeHandler Sequence(params Func<HttpResponseMessage>[] responses)
        => new((_, i) => responses[Math.Min(i, responses.Length - 1)]());

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in request.Headers)
        {
            headers[header.Key] = string.Join(",", header.Value);
        }

        if (request.Content != null)
        {
            foreach (var header in request.Content.Headers)
            {
                headers[header.Key] = string.Join(",", header.Value);
            }
        }

        var captured = new CapturedRequest
        {
            Method = request.Method,
            Uri = request.RequestUri,
            Headers = headers,
            HasContent = request.Content != null,
            Body = request.Content == null ? Array.Empty<byte>() : await request.Content.ReadAsByteArrayAsync(cancellationToken),
        };
        int index;
        lock (Requests)
        {
            Requests.Add(captured);
            index = Requests.Count - 1;
        }

        var response = await _respond(captured, index, cancellationToken);
        response.RequestMessage = request;
        return response;
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)) };
        response.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    public static HttpResponseMessage Error(HttpStatusCode status, string code, string message, params (string Name, string Value)[] headers)
        => Json(status, "{\"message\":\"" + message + "\"}", headers.Append(("x-amzn-ErrorType", code + ":http://internal.amazon.com/coral/com.amazon.bedrock/")).Append(("x-amzn-RequestId", "req-" + code)).ToArray());

    public static HttpResponseMessage Raw(HttpStatusCode status, string contentType, byte[] body)
    {
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent(body) };
        if (contentType != null)
        {
            response.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return response;
    }

    public static HttpResponseMessage EventStream(SlicedStream stream)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(stream) };
        response.Content.Headers.TryAddWithoutValidation("Content-Type", EventStreamFormat.ContentType);
        response.Headers.TryAddWithoutValidation("x-amzn-RequestId", "stream-req");
        response.Headers.TryAddWithoutValidation("X-Amzn-Bedrock-Content-Type", "application/json");
        return response;
    }
}

/// <summary>A response body that hands out the given bytes in fixed slices, then (optionally) blocks until disposed.</summary>
public sealed class SlicedStream : Stream
{
    private readonly byte[] _data;
    private readonly int _slice;
    private readonly bool _blockAtEnd;
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _position;

    public SlicedStream(byte[] data, int slice, bool blockAtEnd = false)
    {
        _data = data;
        _slice = slice;
        _blockAtEnd = blockAtEnd;
    }

    public bool IsDisposed => _disposed.Task.IsCompleted;
    public int Position2 => _position;

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => await ReadAsync(buffer.AsMemory(offset, count), cancellationToken);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        if (_position >= _data.Length)
        {
            if (_blockAtEnd)
            {
                await _disposed.Task.WaitAsync(cancellationToken);
                throw new ObjectDisposedException(nameof(SlicedStream));
            }

            return 0;
        }

        var n = Math.Min(Math.Min(_slice, buffer.Length), _data.Length - _position);
        _data.AsMemory(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        _disposed.TrySetResult();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A clock whose timers fire at once, advancing the clock by their due time, and recording it.
/// With Hold set, timers never fire (for cancellation tests).</summary>
public sealed class InstantTimeProvider : TimeProvider
{
    private readonly object _lock = new();
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public List<TimeSpan> Delays { get; } = new();
    public bool Hold { get; set; }
    public Action TimerCreated { get; set; }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    public TimeSpan TotalDelay
    {
        get
        {
            lock (_lock)
            {
                return Delays.Aggregate(TimeSpan.Zero, (a, b) => a + b);
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object state, TimeSpan dueTime, TimeSpan period)
    {
        lock (_lock)
        {
            Delays.Add(dueTime);
            _now += dueTime;
        }

        TimerCreated?.Invoke();
        if (!Hold && dueTime != Timeout.InfiniteTimeSpan)
        {
            ThreadPool.QueueUserWorkItem(_ => callback(state));
        }

        return new NullTimer();
    }

    private sealed class NullTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;
        public void Dispose() { }
        public ValueTask DisposeAsync() => default;
    }
}

public sealed class RecordingLog : IEngineLog
{
    public ConcurrentQueue<string> VerboseLines { get; } = new();
    public ConcurrentQueue<string> All { get; } = new();
    public void Verbose(string message) { VerboseLines.Enqueue(message); All.Enqueue(message); }
    public void Debug(string message) => All.Enqueue(message);
    public void Warning(string message) => All.Enqueue(message);
}

public static class Kit
{
    public const string AccessKey = "AKIDEXAMPLE";
    public const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    public const string SessionToken = "FQoGZXIvYXdzEXAMPLETOKEN/with+chars==";
    public const string ModelArn = "arn:aws:bedrock:us-east-1:111122223333:imported-model/abc123def456";
    public const string EncodedModelArn = "arn%3Aaws%3Abedrock%3Aus-east-1%3A111122223333%3Aimported-model%2Fabc123def456";

    private sealed class EmptyEnvironment : IEnvironment
    {
        public string Get(string name) => null;
    }

    public static AwsSession Session(string endpoint = "http://127.0.0.1:1234/", bool sessionToken = false, string region = "us-east-1")
        => new(sessionToken
                ? new Amazon.Runtime.SessionAWSCredentials(AccessKey, SecretKey, SessionToken)
                : new Amazon.Runtime.BasicAWSCredentials(AccessKey, SecretKey),
            region, "test", "test", endpoint, new EmptyEnvironment());

    public static RetryOptions FastOptions(int maxAttempts = 5) => new()
    {
        MaxAttempts = maxAttempts,
        ThrottleBaseDelay = TimeSpan.FromSeconds(1),
        TransientBaseDelay = TimeSpan.FromMilliseconds(50),
        MaxDelay = TimeSpan.FromSeconds(20),
        ColdStartBaseDelay = TimeSpan.FromSeconds(1),
        ColdStartMaxDelay = TimeSpan.FromSeconds(2),
        ColdStartBudget = TimeSpan.FromSeconds(10),
    };

    public static RetryPolicy Policy(RetryOptions options, InstantTimeProvider time, IEngineLog log = null, double random = 0.5)
        => new(options, log, time, () => random);

    public static BedrockControlClient Control(FakeHandler handler, RetryOptions options = null, InstantTimeProvider time = null, IEngineLog log = null, AwsSession session = null)
        => new(session ?? Session(), Policy(options ?? FastOptions(), time ?? new InstantTimeProvider(), log), log, handler);

    public static BedrockRuntimeClient Runtime(FakeHandler handler, RetryOptions options = null, InstantTimeProvider time = null, IEngineLog log = null, AwsSession session = null, double random = 0.5)
        => new(session ?? Session(), Policy(options ?? FastOptions(), time ?? new InstantTimeProvider(), log, random), log, handler);

    public static byte[] ChunkFrame(string modelJson, bool padding = true)
    {
        var json = "{\"bytes\":\"" + Convert.ToBase64String(Encoding.UTF8.GetBytes(modelJson)) + "\"" + (padding ? ",\"p\":\"abcdefghijklmnopqrstu\"" : "") + "}";
        return EventStreamWriter.Encode(EventStreamMessage.Event("chunk", Encoding.UTF8.GetBytes(json)));
    }

    /// <summary>One event frame of the given :event-type with a JSON payload (ConverseStream's events).</summary>
    public static byte[] EventFrame(string eventType, string json)
        => EventStreamWriter.Encode(EventStreamMessage.Event(eventType, Encoding.UTF8.GetBytes(json)));

    /// <summary>One exception frame of the given :exception-type (as the service model names the member, e.g. throttlingException).</summary>
    public static byte[] ExceptionFrame(string exceptionType, string json)
        => EventStreamWriter.Encode(EventStreamMessage.Exception(exceptionType, Encoding.UTF8.GetBytes(json)));

    public static byte[] Frames(params byte[][] frames) => frames.SelectMany(f => f).ToArray();
}

/// <summary>An independent SigV4 verifier: recomputes the canonical request and signature from what went on the wire.</summary>
public static class SigV4Verifier
{
    public sealed record Result(bool Valid, string Scope, string[] SignedHeaders, string CanonicalRequest, string Expected, string Actual);

    public static Result Verify(CapturedRequest request, string secretKey, string rawPathAndQuery = null)
    {
        var authorization = request.Header("Authorization") ?? throw new InvalidOperationException("No Authorization header.");
        Assert.StartsWith("AWS4-HMAC-SHA256 ", authorization);
        var parts = authorization.Substring("AWS4-HMAC-SHA256 ".Length).Split(',').Select(p => p.Trim().Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var credential = parts["Credential"].Split('/', 2);
        var scope = credential[1];
        var signedHeaders = parts["SignedHeaders"].Split(';');
        var amzDate = request.Header("X-Amz-Date");

        var pathAndQuery = rawPathAndQuery ?? request.Uri.PathAndQuery;
        var queryIndex = pathAndQuery.IndexOf('?');
        var path = queryIndex < 0 ? pathAndQuery : pathAndQuery[..queryIndex];
        var query = queryIndex < 0 ? "" : pathAndQuery[(queryIndex + 1)..];

        // Non-S3 services: the (already encoded) path is encoded once more, segment by segment.
        var canonicalUri = string.Join("/", path.Split('/').Select(Rfc3986));
        var canonicalQuery = string.Join("&", query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => (Key: Rfc3986(Uri.UnescapeDataString(p[0])), Value: Rfc3986(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value));
        var canonicalHeaders = string.Concat(signedHeaders.Select(h => h + ":" + CanonicalValue(HeaderValue(request, h)) + "\n"));
        var payloadHash = request.Header("x-amz-content-sha256") ?? Hex(SHA256.HashData(request.Body));
        Assert.Equal(Hex(SHA256.HashData(request.Body)), payloadHash);

        var canonicalRequest = string.Join("\n", request.Method.Method, canonicalUri, canonicalQuery, canonicalHeaders, string.Join(";", signedHeaders), payloadHash);
        var stringToSign = string.Join("\n", "AWS4-HMAC-SHA256", amzDate, scope, Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));
        var scopeParts = scope.Split('/');
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), scopeParts[0]);
        key = Hmac(key, scopeParts[1]);
        key = Hmac(key, scopeParts[2]);
        key = Hmac(key, scopeParts[3]);
        var expected = Hex(Hmac(key, stringToSign));
        return new Result(expected == parts["Signature"], scope, signedHeaders, canonicalRequest, expected, parts["Signature"]);
    }

    private static string HeaderValue(CapturedRequest request, string name)
    {
        if (name == "host")
        {
            return request.Header("Host") ?? (request.Uri.IsDefaultPort ? request.Uri.Host : request.Uri.Host + ":" + request.Uri.Port);
        }

        return request.Header(name) ?? throw new InvalidOperationException($"Signed header '{name}' is not on the request.");
    }

    private static string CanonicalValue(string value) => string.Join(" ", value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static string Rfc3986(string value)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2"));
            }
        }

        return builder.ToString();
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}

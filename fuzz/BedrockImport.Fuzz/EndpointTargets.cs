using System.Text;
using BedrockImport.LocalEndpoint.Auth;
using Microsoft.AspNetCore.Http.Features;

namespace BedrockImport.Fuzz;

/// <summary>The local endpoint's request authentication: SigV4 (header and presigned) and the aws-chunked body decoder.
/// Requests are built as DefaultHttpContexts holding only what Kestrel would let through (a token method, a printable
/// ASCII target, token header names and ASCII header values), so a finding is one a real client could send.</summary>
public static class EndpointTargets
{
    public const string AccessKeyId = "AKIDFUZZEXAMPLE";
    public const string Secret = "fuzz/secret/key/EXAMPLE";
    public const string Region = "us-east-1";
    public const string AmzDate = "20260101T000000Z";
    public static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 1, 0, TimeSpan.Zero);

    private static readonly SigV4Verifier Verifier = new(new Dictionary<string, string> { [AccessKeyId] = Secret }, Region, new FixedClock(Now));

    public static void SigV4Target(byte[] input)
    {
        var context = ToHttpContext(input);
        if (!SigV4Verifier.IsSigned(context.Request)) return;
        var claim = SigV4Verifier.ParseClaim(context.Request, out var failure);
        if (claim is null)
        {
            Trace("malformed: " + failure!.Message);
            return;
        }
        foreach (var singleEncodedUri in new[] { false, true })
        {
            context.Request.Body.Position = 0;
            var (verified, refused) = Verifier.VerifyAsync(context, claim, singleEncodedUri).GetAwaiter().GetResult();
            Trace(refused is null ? "verified" : "refused: " + refused.Message);
            if (verified is null) continue;
            _ = verified.ToString();
            if (verified.PayloadHash.StartsWith("STREAMING-", StringComparison.Ordinal))
            {
                context.Request.Body.Position = 0;
                var signing = verified.PayloadHash.StartsWith("STREAMING-UNSIGNED", StringComparison.Ordinal) ? null : verified;
                try
                {
                    new AwsChunkedDecoder(context.Request.Body, signing).DecodeAsync((_, _) => ValueTask.CompletedTask, CancellationToken.None).GetAwaiter().GetResult();
                }
                catch (ChunkedBodyException e)
                {
                    Trace("chunked body refused: " + e.Message);
                }
            }
        }
    }

    public static void AwsChunkedTarget(byte[] input)
    {
        // The first byte: odd decodes as a signed body (seed signature and key below), even as an unsigned one.
        var signed = input.Length > 0 && (input[0] & 1) == 1;
        var body = new MemoryStream(input, Math.Min(1, input.Length), Math.Max(0, input.Length - 1), writable: false);
        var decoder = new AwsChunkedDecoder(body, signed ? ChunkSigning() : null);
        long received = 0;
        var total = decoder.DecodeAsync((chunk, _) =>
        {
            received += chunk.Length;
            return ValueTask.CompletedTask;
        }, CancellationToken.None).GetAwaiter().GetResult();
        if (total != received) throw new InvalidOperationException($"aws-chunked decoder reported {total} bytes but wrote {received}");
        _ = decoder.Trailers.Count;
    }

    /// <summary>The signing state a verified 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' request hands the decoder.</summary>
    public static VerifiedRequest ChunkSigning()
        => new(AccessKeyId, Region, "s3", AmzDate, SeedSignature, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            SigV4.SigningKey(Secret, AmzDate[..8], Region, "s3"), presigned: false);

    public const string SeedSignature = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>"METHOD TARGET HTTP/1.1", header lines, an empty line, the body.</summary>
    public static DefaultHttpContext ToHttpContext(byte[] input)
    {
        var text = input.AsSpan();
        var split = text.IndexOf("\r\n\r\n"u8);
        var separatorLength = 4;
        var lfSplit = text.IndexOf("\n\n"u8);
        if (split < 0 || (lfSplit >= 0 && lfSplit < split))
        {
            split = lfSplit;
            separatorLength = 2;
        }
        var head = Encoding.Latin1.GetString(split < 0 ? text : text[..split]);
        var body = split < 0 ? Array.Empty<byte>() : text[(split + separatorLength)..].ToArray();
        var lines = head.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

        var context = new DefaultHttpContext();
        var request = context.Request;
        var requestLine = lines.Length > 0 ? lines[0].Split(' ') : Array.Empty<string>();
        request.Method = requestLine.Length > 0 && IsToken(requestLine[0]) ? requestLine[0] : "GET";
        var target = requestLine.Length > 1 && requestLine[1].StartsWith('/') && requestLine[1].All(c => c > ' ' && c < 0x7f) ? requestLine[1] : "/";
        var q = target.IndexOf('?');
        try
        {
            request.Path = PathString.FromUriComponent(q < 0 ? target : target[..q]);
        }
        catch (InvalidOperationException)
        {
            // A path that decodes to a NUL (%00): Kestrel answers 400 before any middleware runs, so the verifier never sees it.
            target = "/";
            q = -1;
            request.Path = "/";
        }
        request.QueryString = new QueryString(q < 0 ? "" : target[q..]);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
        request.Scheme = "http";
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            if (!IsToken(name) || !value.All(c => c == '\t' || (c >= ' ' && c < 0x7f))) continue;
            request.Headers.Append(name, value);
        }
        request.Body = new MemoryStream(body, writable: false);
        request.ContentLength = body.Length;
        return context;
    }

    /// <summary>With BEDROCKIMPORT_FUZZ_TRACE set, 'run' says how far each input got (seeds should reach 'verified').</summary>
    public static void Trace(string what)
    {
        if (Environment.GetEnvironmentVariable("BEDROCKIMPORT_FUZZ_TRACE") is { Length: > 0 }) Console.Error.WriteLine("  " + what);
    }

    private static bool IsToken(string s)
        => s.Length > 0 && s.All(c => c < 0x7f && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)));

    private sealed class FixedClock : TimeProvider
    {
        private readonly DateTimeOffset _now;

        public FixedClock(DateTimeOffset now) => _now = now;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}

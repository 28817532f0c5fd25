using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BedrockImport.LocalEndpoint.Auth;

internal sealed class ChunkedBodyException : Exception
{
    public ChunkedBodyException(bool signatureMismatch, string message) : base(message) => SignatureMismatch = signatureMismatch;

    public bool SignatureMismatch { get; }
}

/// <summary>
/// Decodes an aws-chunked body incrementally: "hex-size[;chunk-signature=sig]\r\n data \r\n" ... "0[;...]\r\n",
/// then optional trailers "name:value\r\n" (with x-amz-trailer-signature when signed) and "\r\n".
/// Chunk signatures are verified as each chunk ends (seed = the request signature).
/// </summary>
internal sealed class AwsChunkedDecoder
{
    private const int MaxLine = 16 * 1024;
    private readonly Stream _source;
    private readonly VerifiedRequest? _signing;
    private readonly byte[] _buffer = new byte[128 * 1024];
    private int _start, _end;
    private string _previousSignature;

    /// <param name="signing">The verified request when chunks are signed; null for STREAMING-UNSIGNED-PAYLOAD-TRAILER.</param>
    public AwsChunkedDecoder(Stream source, VerifiedRequest? signing)
    {
        _source = source;
        _signing = signing;
        _previousSignature = signing?.Signature ?? "";
    }

    public Dictionary<string, string> Trailers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Writes the decoded bytes to sink; returns the decoded length.</summary>
    public async Task<long> DecodeAsync(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink, CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            var header = await ReadLineAsync(ct).ConfigureAwait(false)
                         ?? throw new ChunkedBodyException(false, "The aws-chunked body ended before the final chunk.");
            var parts = header.Split(';');
            if (!long.TryParse(parts[0].Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
                throw new ChunkedBodyException(false, $"Malformed aws-chunked chunk header '{Truncate(header)}'.");
            string? chunkSignature = null;
            foreach (var extension in parts.Skip(1))
            {
                var eq = extension.IndexOf('=');
                if (eq > 0 && extension[..eq].Trim() == "chunk-signature")
                    chunkSignature = extension[(eq + 1)..].Trim();
            }
            if (_signing is not null && chunkSignature is null)
                throw new ChunkedBodyException(true, "A chunk of a signed aws-chunked body has no chunk-signature.");

            using var chunkHash = _signing is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var remaining = size;
            while (remaining > 0)
            {
                if (_start == _end && !await FillAsync(ct).ConfigureAwait(false))
                    throw new ChunkedBodyException(false, "The aws-chunked body ended inside a chunk.");
                var take = (int)Math.Min(remaining, _end - _start);
                var slice = _buffer.AsMemory(_start, take);
                chunkHash?.AppendData(slice.Span);
                await sink(slice, ct).ConfigureAwait(false);
                _start += take;
                remaining -= take;
            }
            total += size;

            if (_signing is not null)
            {
                var stringToSign = $"AWS4-HMAC-SHA256-PAYLOAD\n{_signing.AmzDate}\n{_signing.Scope}\n{_previousSignature}\n{SigV4.EmptySha256}\n{SigV4.Hex(chunkHash!.GetHashAndReset())}";
                var expected = SigV4.Sign(_signing.SigningKey, stringToSign);
                if (!SigV4.SignaturesEqual(expected, chunkSignature!))
                    throw new ChunkedBodyException(true, "The chunk signature we calculated does not match the signature you provided.");
                _previousSignature = expected;
            }

            if (size == 0)
                break;
            var end = await ReadLineAsync(ct).ConfigureAwait(false);
            if (end is null || end.Length != 0)
                throw new ChunkedBodyException(false, "Chunk data is not followed by CRLF (the chunk size does not match its data).");
        }

        await ReadTrailersAsync(ct).ConfigureAwait(false);
        return total;
    }

    private async Task ReadTrailersAsync(CancellationToken ct)
    {
        string? trailerSignature = null;
        var canonical = new StringBuilder();
        while (true)
        {
            var line = await ReadLineAsync(ct).ConfigureAwait(false);
            if (line is null || line.Length == 0)
                break;
            var colon = line.IndexOf(':');
            if (colon <= 0)
                throw new ChunkedBodyException(false, $"Malformed trailer '{Truncate(line)}'.");
            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            if (name == "x-amz-trailer-signature")
            {
                trailerSignature = value;
                continue;
            }
            Trailers[name] = value;
            canonical.Append(name).Append(':').Append(value).Append('\n');
        }

        if (_signing is not null && Trailers.Count > 0)
        {
            if (trailerSignature is null)
                throw new ChunkedBodyException(true, "The signed aws-chunked body has trailers but no x-amz-trailer-signature.");
            var stringToSign = $"AWS4-HMAC-SHA256-TRAILER\n{_signing.AmzDate}\n{_signing.Scope}\n{_previousSignature}\n{SigV4.Sha256Hex(canonical.ToString())}";
            if (!SigV4.SignaturesEqual(SigV4.Sign(_signing.SigningKey, stringToSign), trailerSignature))
                throw new ChunkedBodyException(true, "The trailer signature we calculated does not match the signature you provided.");
        }
    }

    /// <summary>Reads up to CRLF (or LF); null at end of stream with nothing read.</summary>
    private async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        var scanned = 0;
        while (true)
        {
            var index = Array.IndexOf(_buffer, (byte)'\n', _start + scanned, _end - _start - scanned);
            if (index >= 0)
            {
                var length = index - _start;
                if (length > 0 && _buffer[index - 1] == '\r')
                    length--;
                var line = Encoding.ASCII.GetString(_buffer, _start, length);
                _start = index + 1;
                return line;
            }
            scanned = _end - _start;
            if (scanned > MaxLine)
                throw new ChunkedBodyException(false, "An aws-chunked header line is too long.");
            if (!await FillAsync(ct).ConfigureAwait(false))
            {
                if (_end == _start)
                    return null;
                var rest = Encoding.ASCII.GetString(_buffer, _start, _end - _start).TrimEnd('\r');
                _start = _end;
                return rest;
            }
        }
    }

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            return true;
        var read = await _source.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }

    private static string Truncate(string s) => s.Length > 80 ? s[..80] + "..." : s;
}

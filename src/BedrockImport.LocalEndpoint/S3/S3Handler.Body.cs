using System.Security.Cryptography;
using BedrockImport.LocalEndpoint.Auth;

namespace BedrockImport.LocalEndpoint.S3;

internal sealed partial class S3Handler
{
    /// <summary>A received request body: decoded size, MD5 and the validated checksums (algorithm → base64).</summary>
    private sealed record ReceivedBody(long Size, byte[] Md5, Dictionary<string, string> Checksums);

    /// <summary>
    /// Receives the body into destination: plain or aws-chunked (signed / unsigned streaming, with or without trailers),
    /// verifying the x-amz-content-sha256 hash, chunk and trailer signatures, Content-MD5 and x-amz-checksum-* (headers or trailers).
    /// </summary>
    private static async Task<ReceivedBody> ReceiveAsync(HttpContext context, VerifiedRequest auth, Stream destination,
        string? extraAlgorithm = null, long maxSize = long.MaxValue)
    {
        var request = context.Request;
        var ct = context.RequestAborted;

        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        var compute = new HashSet<string>(StringComparer.Ordinal);
        foreach (var algorithm in Checksums.Algorithms)
        {
            var value = request.Headers[Checksums.HeaderName(algorithm)].ToString();
            if (value.Length > 0)
            {
                expected[algorithm] = value;
                compute.Add(algorithm);
            }
        }
        var sdkAlgorithm = request.Headers["x-amz-sdk-checksum-algorithm"].ToString().ToUpperInvariant();
        if (Checksums.IsKnown(sdkAlgorithm))
            compute.Add(sdkAlgorithm);
        if (extraAlgorithm is not null)
            compute.Add(extraAlgorithm);
        var declaredTrailers = request.Headers["x-amz-trailer"].ToString()
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => t.ToLowerInvariant()).ToList();
        foreach (var trailer in declaredTrailers)
        {
            var algorithm = Checksums.Algorithms.FirstOrDefault(a => Checksums.HeaderName(a) == trailer)
                ?? throw new S3StoreException(400, "InvalidRequest", $"The trailer {trailer} is not supported.");
            compute.Add(algorithm);
        }

        var checksums = compute.ToDictionary(a => a, Checksums.Create);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var payloadHash = auth.PayloadHash;
        var payloadHashIsHex = payloadHash.Length == 64 && payloadHash.All(Uri.IsHexDigit);
        // x-amz-content-sha256 and x-amz-checksum-sha256 are the same digest of the same bytes: when both are wanted the
        // SHA256 checksum serves both, so the body is hashed with SHA-256 once; each claim is still compared on its own.
        var separatePayloadSha256 = payloadHashIsHex && !checksums.ContainsKey("SHA256") ? Checksums.Create("SHA256") : null;
        var hashes = checksums.Values.Append(separatePayloadSha256).OfType<IChecksum>().ToArray();
        long size = 0;

        async ValueTask Sink(ReadOnlyMemory<byte> data, CancellationToken token)
        {
            size += data.Length;
            if (size > maxSize)
                throw new S3StoreException(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.");
            md5.AppendData(data.Span);
            foreach (var hash in hashes)
                hash.Append(data.Span);
            await destination.WriteAsync(data, token).ConfigureAwait(false);
        }

        Dictionary<string, string>? trailers = null;
        if (payloadHash.StartsWith("STREAMING-", StringComparison.Ordinal))
        {
            var signed = payloadHash is SigV4.StreamingSigned or SigV4.StreamingSignedTrailer;
            if (!signed && payloadHash != SigV4.StreamingUnsignedTrailer)
                throw new S3StoreException(400, "InvalidArgument", $"x-amz-content-sha256 value '{payloadHash}' is not supported.");
            var decoder = new AwsChunkedDecoder(request.Body, signed ? auth : null);
            try
            {
                await decoder.DecodeAsync(Sink, ct).ConfigureAwait(false);
            }
            catch (ChunkedBodyException e)
            {
                throw e.SignatureMismatch
                    ? new S3StoreException(403, "SignatureDoesNotMatch", e.Message)
                    : new S3StoreException(400, "IncompleteBody", e.Message);
            }
            trailers = decoder.Trailers;
            var decodedLength = request.Headers["x-amz-decoded-content-length"].ToString();
            if (decodedLength.Length > 0 && (!long.TryParse(decodedLength, out var declared) || declared != size))
                throw new S3StoreException(400, "IncompleteBody",
                    $"You did not provide the number of bytes specified by x-amz-decoded-content-length ({decodedLength}); received {size}.");
        }
        else
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await request.Body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                await Sink(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
            if (request.ContentLength is long contentLength && contentLength != size)
                throw new S3StoreException(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.");
        }

        var digests = checksums.ToDictionary(c => c.Key, c => c.Value.Finish(), StringComparer.Ordinal);
        if (payloadHashIsHex && SigV4.Hex(separatePayloadSha256?.Finish() ?? digests["SHA256"]) != payloadHash.ToLowerInvariant())
            throw new S3StoreException(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");

        foreach (var trailer in declaredTrailers)
        {
            if (trailers is null || !trailers.TryGetValue(trailer, out var value))
                throw new S3StoreException(400, "InvalidRequest", $"The request declared the trailer {trailer} but did not send it.");
            expected[Checksums.Algorithms.First(a => Checksums.HeaderName(a) == trailer)] = value;
        }

        var md5Bytes = md5.GetHashAndReset();
        var contentMd5 = request.Headers.ContentMD5.ToString();
        if (contentMd5.Length > 0 && contentMd5 != Convert.ToBase64String(md5Bytes))
            throw new S3StoreException(400, "BadDigest", "The Content-MD5 you specified did not match what we received.");

        var results = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (algorithm, digest) in digests)
        {
            var actual = Convert.ToBase64String(digest);
            if (expected.TryGetValue(algorithm, out var claimed))
            {
                if (!IsBase64(claimed))
                    throw new S3StoreException(400, "InvalidRequest", $"Value for {Checksums.HeaderName(algorithm)} header is invalid.");
                if (claimed != actual)
                    throw new S3StoreException(400, "BadDigest", $"The {algorithm} you specified did not match the calculated checksum.");
            }
            results[algorithm] = actual;
        }
        return new ReceivedBody(size, md5Bytes, results);
    }

    /// <summary>Receives a small body (XML documents) fully into memory.</summary>
    private static async Task<byte[]> ReceiveSmallBodyAsync(HttpContext context, VerifiedRequest auth)
    {
        using var memory = new MemoryStream();
        await ReceiveAsync(context, auth, memory, maxSize: MaxSmallBody).ConfigureAwait(false);
        return memory.ToArray();
    }

    private static bool IsBase64(string value)
    {
        Span<byte> scratch = stackalloc byte[64];
        return Convert.TryFromBase64String(value, scratch, out _);
    }
}

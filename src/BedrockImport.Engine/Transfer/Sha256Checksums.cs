using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using BedrockImport.Engine.Sources;

namespace BedrockImport.Engine.Transfer;

/// <summary>The SHA-256 values S3 keeps for an object: the full-object digest for PutObject, and for a multipart upload
/// the composite "base64(sha256(digest1 || digest2 || ...))-N" over the parts' digests.</summary>
internal static class Sha256Checksums
{
    private const int ReadBufferSize = 1024 * 1024;

    public static byte[] Digest(byte[] buffer, int offset, int count)
    {
        using var sha = SHA256.Create();
        return sha.ComputeHash(buffer, offset, count);
    }

    /// <summary>Lower-case hex, as the Hub publishes LFS sha256s.</summary>
    public static string Hex(byte[] digest)
    {
        var text = new char[digest.Length * 2];
        for (var i = 0; i < digest.Length; i++)
        {
            text[2 * i] = "0123456789abcdef"[digest[i] >> 4];
            text[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
        }

        return new string(text);
    }

    public static string Composite(byte[][] partDigests)
    {
        var concatenated = new byte[partDigests.Length * 32];
        for (var i = 0; i < partDigests.Length; i++)
        {
            Buffer.BlockCopy(partDigests[i], 0, concatenated, i * 32, 32);
        }

        return Convert.ToBase64String(Digest(concatenated, 0, concatenated.Length)) + "-" + partDigests.Length.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Reads the file once and returns the value S3 would hold: composite over parts of plan.PartSize
    /// when multipart, else the full-object digest (base64).</summary>
    public static async Task<string> ComputeForFileAsync(IModelSource source, string path, PartPlan plan, bool multipart, CancellationToken cancellationToken,
        Action<long>? onRead = null)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            using var stream = await source.OpenRangeAsync(path, 0, plan.FileSize, cancellationToken).ConfigureAwait(false);
            if (!multipart)
            {
                using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                await HashRangeAsync(stream, plan.FileSize, whole, buffer, cancellationToken, onRead).ConfigureAwait(false);
                return Convert.ToBase64String(whole.GetHashAndReset());
            }

            var digests = new byte[plan.PartCount][];
            using var part = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (var number = 1; number <= plan.PartCount; number++)
            {
                await HashRangeAsync(stream, plan.PartLength(number), part, buffer, cancellationToken, onRead).ConfigureAwait(false);
                digests[number - 1] = part.GetHashAndReset();
            }

            return Composite(digests);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The SHA-256 of one range of a file (a part of an interrupted upload that may be reused).</summary>
    public static async Task<byte[]> ComputeRangeAsync(IModelSource source, string path, long offset, long length, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            using var stream = await source.OpenRangeAsync(path, offset, length, cancellationToken).ConfigureAwait(false);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await HashRangeAsync(stream, length, hash, buffer, cancellationToken).ConfigureAwait(false);
            return hash.GetHashAndReset();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task HashRangeAsync(Stream stream, long length, IncrementalHash hash, byte[] buffer, CancellationToken cancellationToken,
        Action<long>? onRead = null)
    {
        var left = length;
        while (left > 0)
        {
            var read = await stream.ReadAsync(buffer, 0, (int)Math.Min(buffer.Length, left), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The file became shorter while it was being read.");
            }

            hash.AppendData(buffer, 0, read);
            left -= read;
            onRead?.Invoke(read);
        }
    }
}

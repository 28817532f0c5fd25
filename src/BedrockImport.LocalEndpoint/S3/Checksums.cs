using System.IO.Hashing;
using System.Security.Cryptography;

namespace BedrockImport.LocalEndpoint.S3;

/// <summary>An incremental checksum producing the raw bytes S3 base64-encodes (CRCs big-endian).</summary>
internal interface IChecksum
{
    void Append(ReadOnlySpan<byte> data);

    byte[] Finish();
}

internal static class Checksums
{
    /// <summary>Algorithms S3 knows, upper case as in x-amz-checksum-algorithm.</summary>
    public static readonly string[] Algorithms = { "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256" };

    public static bool IsKnown(string algorithm) => Algorithms.Contains(algorithm);

    public static IChecksum Create(string algorithm) => algorithm switch
    {
        "CRC32" => new CrcChecksum(new Crc32(Crc32ParameterSet.Crc32)),
        "CRC32C" => new CrcChecksum(new Crc32(Crc32ParameterSet.Crc32C)),
        "CRC64NVME" => new CrcChecksum(new Crc64(Crc64ParameterSet.Nvme)),
        "SHA1" => new HashChecksum(HashAlgorithmName.SHA1),
        "SHA256" => new HashChecksum(HashAlgorithmName.SHA256),
        _ => throw new ArgumentException("Unknown checksum algorithm " + algorithm, nameof(algorithm)),
    };

    public static string HeaderName(string algorithm) => "x-amz-checksum-" + algorithm.ToLowerInvariant();

    public static string XmlElement(string algorithm) => "Checksum" + algorithm;

    public static byte[] Compute(string algorithm, ReadOnlySpan<byte> data)
    {
        var c = Create(algorithm);
        c.Append(data);
        return c.Finish();
    }

    private sealed class CrcChecksum : IChecksum
    {
        private readonly NonCryptographicHashAlgorithm _crc;

        public CrcChecksum(NonCryptographicHashAlgorithm crc) => _crc = crc;

        public void Append(ReadOnlySpan<byte> data) => _crc.Append(data);

        // System.IO.Hashing writes a CRC little-endian; S3 sends it big-endian.
        public byte[] Finish()
        {
            var bytes = _crc.GetCurrentHash();
            Array.Reverse(bytes);
            return bytes;
        }
    }

    private sealed class HashChecksum : IChecksum
    {
        private readonly IncrementalHash _hash;

        public HashChecksum(HashAlgorithmName name) => _hash = IncrementalHash.CreateHash(name);

        public void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);

        public byte[] Finish() => _hash.GetHashAndReset();
    }
}

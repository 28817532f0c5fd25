using System.Buffers.Binary;
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
        "CRC32" => new Crc32Checksum(),
        "CRC32C" => new TableCrc32(Crc32CTable.Value),
        "CRC64NVME" => new Crc64Nvme(),
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

    private static readonly Lazy<uint[]> Crc32CTable = new(() => BuildTable32(0x82F63B78u));

    private static uint[] BuildTable32(uint reflectedPolynomial)
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var crc = i;
            for (var bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1;
            table[i] = crc;
        }
        return table;
    }

    private sealed class Crc32Checksum : IChecksum
    {
        private readonly Crc32 _crc = new();

        public void Append(ReadOnlySpan<byte> data) => _crc.Append(data);

        public byte[] Finish()
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, _crc.GetCurrentHashAsUInt32());
            return bytes;
        }
    }

    private sealed class TableCrc32 : IChecksum
    {
        private readonly uint[] _table;
        private uint _crc = 0xFFFFFFFFu;

        public TableCrc32(uint[] table) => _table = table;

        public void Append(ReadOnlySpan<byte> data)
        {
            var crc = _crc;
            foreach (var b in data)
                crc = _table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            _crc = crc;
        }

        public byte[] Finish()
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, _crc ^ 0xFFFFFFFFu);
            return bytes;
        }
    }

    private sealed class Crc64Nvme : IChecksum
    {
        private static readonly ulong[] Table = Build();
        private ulong _crc = ulong.MaxValue;

        private static ulong[] Build()
        {
            const ulong reflectedPolynomial = 0x9A6C9329AC4BC9B5UL;
            var table = new ulong[256];
            for (ulong i = 0; i < 256; i++)
            {
                var crc = i;
                for (var bit = 0; bit < 8; bit++)
                    crc = (crc & 1) != 0 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1;
                table[i] = crc;
            }
            return table;
        }

        public void Append(ReadOnlySpan<byte> data)
        {
            var crc = _crc;
            foreach (var b in data)
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            _crc = crc;
        }

        public byte[] Finish()
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, _crc ^ ulong.MaxValue);
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

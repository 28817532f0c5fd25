using System.Text;
using BedrockImport.LocalEndpoint.S3;

namespace BedrockImport.LocalEndpoint.Tests.S3;

public class ChecksumsTests
{
    // The catalogued check values of each CRC over "123456789", big-endian as S3 base64-encodes them.
    [Theory]
    [InlineData("CRC32", "CBF43926")]
    [InlineData("CRC32C", "E3069283")]
    [InlineData("CRC64NVME", "AE8B14860A799888")]
    public void Compute_CheckString_GivesTheCataloguedCheckValue(string algorithm, string expectedHex)
        => Assert.Equal(expectedHex, Convert.ToHexString(Checksums.Compute(algorithm, Encoding.ASCII.GetBytes("123456789"))));

    [Theory]
    [InlineData("CRC32", 0xEDB88320UL, 32)]
    [InlineData("CRC32C", 0x82F63B78UL, 32)]
    [InlineData("CRC64NVME", 0x9A6C9329AC4BC9B5UL, 64)]
    public void Append_InRandomSlices_MatchesBitwiseReference(string algorithm, ulong reflectedPolynomial, int width)
    {
        var random = new Random(9);
        var data = new byte[100_003];
        random.NextBytes(data);
        var checksum = Checksums.Create(algorithm);
        for (var offset = 0; offset < data.Length;)
        {
            var slice = Math.Min(random.Next(0, 5000), data.Length - offset);
            checksum.Append(data.AsSpan(offset, slice));
            offset += slice;
        }

        Assert.Equal(BitwiseReflectedCrc(data, reflectedPolynomial, width), checksum.Finish());
    }

    [Fact]
    public void Compute_EmptyInput_IsZero()
    {
        Assert.Equal(new byte[4], Checksums.Compute("CRC32", ReadOnlySpan<byte>.Empty));
        Assert.Equal(new byte[4], Checksums.Compute("CRC32C", ReadOnlySpan<byte>.Empty));
        Assert.Equal(new byte[8], Checksums.Compute("CRC64NVME", ReadOnlySpan<byte>.Empty));
    }

    // A bit-at-a-time reflected CRC with all-ones init and final xor (the shape of all three S3 CRCs), big-endian.
    private static byte[] BitwiseReflectedCrc(byte[] data, ulong reflectedPolynomial, int width)
    {
        var mask = width == 64 ? ulong.MaxValue : (1UL << width) - 1;
        var crc = mask;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1;
        }
        crc ^= mask;
        var bytes = new byte[width / 8];
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)(crc >> (8 * (bytes.Length - 1 - i)));
        return bytes;
    }
}

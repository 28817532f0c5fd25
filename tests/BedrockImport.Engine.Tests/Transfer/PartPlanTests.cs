using System.Security.Cryptography;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Transfer;

namespace BedrockImport.Engine.Tests.Transfer;

public class PartPlanTests
{
    private const long MiB = 1024 * 1024;

    [Theory]
    [InlineData(0L, 8 * MiB)]
    [InlineData(1L, 8 * MiB)]
    [InlineData(5_000_000_000L, 8 * MiB)]
    [InlineData(100_000_000_000L, 10 * MiB)] // 100 GB / 10,000 = 9.54 MiB, rounded up to a whole MiB
    public void Automatic_part_size_is_at_least_8_MiB_fits_10000_parts_and_is_whole_MiB(long size, long expected)
    {
        var plan = PartPlan.For(size, null);
        Assert.Equal(expected, plan.PartSize);
        Assert.Equal(0, plan.PartSize % MiB);
        Assert.True(plan.PartCount <= PartPlan.MaxParts);
    }

    [Fact]
    public void Parts_cover_the_file_exactly()
    {
        var plan = PartPlan.For(21 * MiB + 5, 5 * MiB);
        Assert.True(plan.IsMultipart);
        Assert.Equal(5, plan.PartCount);
        Assert.Equal(20 * MiB, plan.PartOffset(5));
        Assert.Equal(MiB + 5, plan.PartLength(5));
        Assert.Equal(21 * MiB + 5, Enumerable.Range(1, plan.PartCount).Sum(n => plan.PartLength(n)));
    }

    [Fact]
    public void Files_up_to_one_part_are_single_puts()
    {
        Assert.False(PartPlan.For(8 * MiB, null).IsMultipart);
        Assert.True(PartPlan.For(8 * MiB + 1, null).IsMultipart);
        Assert.Equal(1, PartPlan.For(0, null).PartCount);
    }

    [Theory]
    [InlineData(4 * MiB)]
    [InlineData(1025 * MiB)]
    public void Requested_part_size_outside_S3_limits_is_rejected(long partSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PartPlan.For(100 * MiB, partSize));
    }

    [Fact]
    public void Requested_part_size_needing_more_than_10000_parts_is_rejected()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PartPlan.For(60_000 * MiB, 5 * MiB));
        Assert.Contains("10000", error.Message);
    }

    [Fact]
    public async Task Local_checksums_match_sha256_of_the_whole_file_and_of_the_parts()
    {
        var folder = Path.Combine(Path.GetTempPath(), "bi-checksums-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "model.safetensors");
        try
        {
            var data = new byte[12 * MiB + 3];
            new Random(7).NextBytes(data);
            await File.WriteAllBytesAsync(path, data);
            var plan = new PartPlan(data.Length, 5 * MiB);
            var source = new LocalFolderSource(folder);

            var whole = await Sha256Checksums.ComputeForFileAsync(source, "model.safetensors", plan, multipart: false, CancellationToken.None);
            Assert.Equal(Convert.ToBase64String(SHA256.HashData(data)), whole);

            var composite = await Sha256Checksums.ComputeForFileAsync(source, "model.safetensors", plan, multipart: true, CancellationToken.None);
            var digests = new[] { (0, 5 * MiB), (5 * MiB, 5 * MiB), (10 * MiB, 2 * MiB + 3) }
                .SelectMany(r => SHA256.HashData(data.AsSpan((int)r.Item1, (int)r.Item2))).ToArray();
            Assert.Equal(Convert.ToBase64String(SHA256.HashData(digests)) + "-3", composite);

            var middle = await Sha256Checksums.ComputeRangeAsync(source, "model.safetensors", 5 * MiB, 5 * MiB, CancellationToken.None);
            Assert.Equal(SHA256.HashData(data.AsSpan((int)(5 * MiB), (int)(5 * MiB))), middle);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

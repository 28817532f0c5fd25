using BedrockImport.Engine.Transfer;
using CsCheck;

namespace BedrockImport.Engine.Tests.Transfer;

/// <summary>Properties of the multipart part plan over random file and part sizes: the parts cover every byte of the
/// file exactly once within S3's limits, and a plan is refused only when no plan within them exists.</summary>
public class PartPlanPropertyTests
{
    private const int Iterations = 2000;
    private const long MiB = PartPlan.MiB;
    private const long TiB = 1024 * 1024 * MiB;

    /// <summary>Small files, files around the 10,000-part edges, and files too big for 1 GiB parts.</summary>
    private static readonly Gen<long> FileSize = Gen.OneOf(
        Gen.Long[0, 64 * MiB],
        Gen.Long[0, 12 * TiB],
        Gen.Select(Gen.Long[1, 1024], Gen.Long[-3, 3], (mebibytes, nudge) => Math.Max(0, mebibytes * MiB * PartPlan.MaxParts + nudge)));

    /// <summary>No request, any request within S3's limits, or one within a couple of MiB of the smallest part size
    /// that still fits the file in 10,000 parts (where an off-by-one lives).</summary>
    private static Gen<long?> RequestedPartSize(long fileSize)
    {
        var smallestFitting = Math.Max(1, (fileSize + PartPlan.MaxParts - 1) / PartPlan.MaxParts);
        return Gen.OneOf(
            Gen.Const((long?)null),
            Gen.Long[PartPlan.MinPartSize, PartPlan.MaxBufferedPartSize].Select(size => (long?)size),
            Gen.Long[-2 * MiB, 2 * MiB].Select(delta => (long?)Math.Clamp(smallestFitting + delta, PartPlan.MinPartSize, PartPlan.MaxBufferedPartSize)));
    }

    [Fact]
    public void Parts_cover_every_byte_exactly_once_within_S3s_limits_and_only_impossible_plans_are_refused()
    {
        (from size in FileSize
         from requested in RequestedPartSize(size)
         select (size, requested)).Sample((size, requested) =>
        {
            // The parts a size needs, were the plan to use it: what decides whether a plan is possible at all.
            long PartsAt(long partSize) => (size + partSize - 1) / partSize;
            var possible = requested is long r ? PartsAt(r) <= PartPlan.MaxParts : PartsAt(PartPlan.MaxBufferedPartSize) <= PartPlan.MaxParts;

            PartPlan plan;
            try
            {
                plan = PartPlan.For(size, requested);
            }
            catch (ArgumentOutOfRangeException)
            {
                Assert.False(possible, $"A plan for {size} bytes in parts of {requested?.ToString() ?? "(automatic)"} bytes was refused, though one fits in {PartPlan.MaxParts} parts.");
                return;
            }

            Assert.True(possible, $"A plan for {size} bytes was made though it needs more than {PartPlan.MaxParts} parts.");
            Assert.InRange(plan.PartSize, PartPlan.MinPartSize, PartPlan.MaxBufferedPartSize);
            if (requested != null) Assert.Equal(requested.Value, plan.PartSize);
            else Assert.True(plan.PartSize % MiB == 0 && plan.PartSize >= PartPlan.DefaultMinimumPartSize, $"automatic part size {plan.PartSize}");
            Assert.InRange(plan.PartCount, 1, PartPlan.MaxParts);
            Assert.Equal(size > plan.PartSize, plan.IsMultipart);

            // Up to 10,000 parts a sample: plain comparisons in the loop, one assertion naming the first bad part.
            long covered = 0;
            for (var number = 1; number <= plan.PartCount; number++)
            {
                var length = plan.PartLength(number);
                var whole = number < plan.PartCount ? length == plan.PartSize : length >= (size == 0 ? 0 : 1) && length <= plan.PartSize;
                if (plan.PartOffset(number) != covered || !whole)
                    Assert.Fail($"Part {number} of {plan.PartCount} is at {plan.PartOffset(number)} for {length} bytes; the parts before it end at {covered} (part size {plan.PartSize}, file {size}).");
                covered += length;
            }

            Assert.Equal(size, covered);
        }, iter: Iterations);
    }

    [Fact]
    public void A_requested_size_below_the_next_whole_MiB_but_enough_for_10000_parts_is_taken()
    {
        // The property's first find: 143,510,224,894 bytes need parts of at least 14,351,023 bytes; the request was
        // held to that figure rounded up to 14 MiB (14,680,064) and 14,665,774 was refused, though it makes 9,786 parts.
        var plan = PartPlan.For(143_510_224_894, 14_665_774);

        Assert.Equal(9_786, plan.PartCount);
        Assert.Equal(143_510_224_894, plan.PartOffset(plan.PartCount) + plan.PartLength(plan.PartCount));
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => PartPlan.For(143_510_224_894, 14_351_022));
        Assert.Contains("use at least 14351023", refused.Message);
        Assert.Equal(10_000, PartPlan.For(143_510_224_894, 14_351_023).PartCount);
    }
}

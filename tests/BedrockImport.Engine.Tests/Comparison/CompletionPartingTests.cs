using BedrockImport.Engine.Comparison;

namespace BedrockImport.Engine.Tests.Comparison;

public sealed class CompletionPartingTests
{
    [Theory]
    [InlineData(new[] { 1, 2, 3 }, new[] { 1, 2, 3 }, 3, null)]
    [InlineData(new int[0], new int[0], 0, null)]
    [InlineData(new[] { 1, 2, 3 }, new[] { 1, 9, 3 }, 1, 1)]
    [InlineData(new[] { 7, 2 }, new[] { 1, 2 }, 0, 0)]
    [InlineData(new[] { 1, 2, 3, 4 }, new[] { 1, 2 }, 2, 2)]
    [InlineData(new[] { 1 }, new[] { 1, 2, 3 }, 1, 1)]
    [InlineData(new int[0], new[] { 5 }, 0, 0)]
    public void Parts_at_the_first_differing_id_or_where_the_shorter_one_ends(int[] local, int[] remote, int agreed, int? parted)
    {
        Assert.Equal((agreed, parted), CompletionParting.Compare(local, remote));
        Assert.Equal((agreed, parted), CompletionParting.Compare(remote, local));
    }
}

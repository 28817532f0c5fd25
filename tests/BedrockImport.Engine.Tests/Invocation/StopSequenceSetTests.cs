using BedrockImport.Engine.Invocation;

namespace BedrockImport.Engine.Tests.Invocation;

public class StopSequenceSetTests
{
    [Theory]
    [InlineData("abc</answer>def", false, "abc", "</answer>")]
    [InlineData("abc</answer>def", true, "abc</answer>", "</answer>")]
    [InlineData("</answer>", false, "", "</answer>")]
    [InlineData("no stop here", false, "no stop here", null)]
    [InlineData("a</answer>b</answer>", false, "a", "</answer>")]
    [InlineData("x END y </answer>", false, "x ", "END")]
    [InlineData("x </answer> y END", false, "x ", "</answer>")]
    public void Cut_stops_at_the_first_stop_sequence(string text, bool include, string expected, string matched)
    {
        var stops = new StopSequenceSet(new[] { "</answer>", "END" }, include);
        var cut = stops.Cut(text, out var match);
        Assert.Equal(expected, cut);
        Assert.Equal(matched, match?.Sequence);
    }

    [Fact]
    public void The_stop_that_completes_first_wins_ties_go_to_the_longest()
    {
        // "bc" completes at index 3, before "abcd" would (index 4): a streaming reader would have stopped there.
        var stops = new StopSequenceSet(new[] { "abcd", "bc" });
        Assert.Equal("a", stops.Cut("abcd", out var first));
        Assert.Equal("bc", first!.Sequence);

        var tie = new StopSequenceSet(new[] { "c", "abc" });
        Assert.Equal("", tie.Cut("abc", out var longest));
        Assert.Equal("abc", longest!.Sequence);
    }

    [Fact]
    public void Empty_stop_sequences_are_rejected_and_duplicates_collapse()
    {
        Assert.Throws<InvocationValidationException>(() => new StopSequenceSet(new[] { "" }));
        Assert.Equal(new[] { "x" }, new StopSequenceSet(new[] { "x", "x" }).Sequences);
        Assert.True(new StopSequenceSet(null).IsEmpty);
    }
}

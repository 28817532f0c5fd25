using BedrockImport.LocalEndpoint.Bedrock;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

public class TextGeneratorTests
{
    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("imported", new[] { "import", "ed" })]
    [InlineData("社長です", new[] { "社", "長", "で", "す" })]
    [InlineData("a, b!", new[] { "a", ",", " b", "!" })]
    [InlineData("  lead", new[] { "  lead" })]
    public void Tokenize_splits_into_the_documented_pieces(string text, string[] expected)
    {
        Assert.Equal(expected, TextGenerator.Tokenize(text));
    }

    [Fact]
    public void Without_stop_sequences_the_answer_ends_naturally()
    {
        var generation = TextGenerator.Generate(0, "prompt", 1000, Array.Empty<string>(), ignoreStop: false, responses: null, promptTokens: 1);
        Assert.False(generation.HitMaxTokens);
        Assert.EndsWith(".", generation.Text);
    }

    [Fact]
    public void Stop_cuts_before_the_earliest_stop_sequence()
    {
        var book = ResponseBook.Parse("{\"prompt\":\"q\",\"response\":\"one END two STOP three\"}");
        var generation = TextGenerator.Generate(0, "q", 1000, new[] { "STOP", "END" }, ignoreStop: false, book, 1);
        Assert.Equal("one ", generation.Text);
    }

    [Fact]
    public void Exact_prompt_entries_win_over_contains_entries()
    {
        var book = ResponseBook.Parse("{\"contains\":\"capital\",\"response\":\"A\"}\n{\"prompt\":\"What is the capital?\",\"response\":\"B\"}");
        Assert.Equal("B", book.Find("What is the capital?"));
        Assert.Equal("A", book.Find("The capital city"));
        Assert.Null(book.Find("nothing matches"));
    }
}

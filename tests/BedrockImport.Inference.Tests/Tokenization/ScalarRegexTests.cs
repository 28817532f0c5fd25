using BedrockImport.Inference.Tokenization;

namespace BedrockImport.Inference.Tests.Tokenization;

public class ScalarRegexTests
{
    private static List<(int, int)> Matches(string pattern, string text) =>
        new ScalarRegex(pattern, TimeSpan.FromSeconds(1), problem => new TokenizerFormatException("test", problem)).Matches(text);

    [Fact]
    public void A_letter_outside_the_bmp_is_a_letter()
    {
        // 𠮷 is two UTF-16 code units; the whole word is one \p{L}+ match, as in the Rust tokenizers.
        Assert.Equal(new[] { (0, 4) }, Matches(@"\p{L}+", "𠮷野家"));
        Assert.Equal(new[] { (0, 1), (1, 3), (3, 4) }, Matches(@"\p{L}|\p{N}|.", "a𝟙b"));
    }

    [Fact]
    public void Digits_outside_the_bmp_are_counted_as_one_character_each()
    {
        Assert.Equal(new[] { (0, 6), (6, 8) }, Matches(@"\p{N}{1,3}", "𝟙𝟚𝟛𝟜"));
    }

    [Fact]
    public void Symbols_outside_the_bmp_stay_out_of_letter_classes()
    {
        Assert.Equal(new[] { (0, 2), (2, 3) }, Matches(@"[^\s\p{L}\p{N}]+|\p{L}+", "🎉x"));
    }
}

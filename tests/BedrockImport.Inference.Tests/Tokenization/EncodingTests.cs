using BedrockImport.Inference.Tokenization;

namespace BedrockImport.Inference.Tests.Tokenization;

public class EncodingTests
{
    [Theory]
    [MemberData(nameof(TokenizerCases.AllTokenizers), MemberType = typeof(TokenizerCases))]
    public void A_lone_surrogate_is_encoded_as_the_replacement_character_without_failing(string name)
    {
        // Request bodies are JSON, which can carry a lone surrogate (\ud83d) that UTF-8 cannot.
        var tokenizer = ModelTokenizer.Load(TokenizerCases.TokenizerPath(name));

        Assert.Equal(tokenizer.Encode("a\ufffdb \ufffd", addSpecialTokens: false), tokenizer.Encode("a\ud83db \udc00", addSpecialTokens: false));
    }

    [Fact]
    public void Encodings_on_many_threads_equal_the_encodings_on_one()
    {
        var tokenizer = ModelTokenizer.Load(TokenizerCases.TokenizerPath("llama3-style"));
        var texts = Enumerable.Range(0, 200).Select(i => TokenizerCases.Texts[i % TokenizerCases.Texts.Length] + " " + i).ToArray();
        var sequential = ModelTokenizer.Load(TokenizerCases.TokenizerPath("llama3-style"));
        var expected = texts.Select(text => sequential.Encode(text, addSpecialTokens: true)).ToArray();

        var actual = new IReadOnlyList<int>[texts.Length];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => actual[i] = tokenizer.Encode(texts[i], addSpecialTokens: true));

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void The_post_processor_ids_cannot_be_changed_through_the_api()
    {
        var tokenizer = ModelTokenizer.Load(TokenizerCases.TokenizerPath("llama3-style"));

        Assert.Throws<NotSupportedException>(() => ((IList<int>)tokenizer.PrefixTokenIds)[0] = 5);
        Assert.Equal(tokenizer.BosTokenId, tokenizer.Encode("x", addSpecialTokens: true)[0]);
    }
}

using System.Text;
using BedrockImport.Inference.Tokenization;
using RustTokenizer = Tokenizers.DotNet.Tokenizer;

namespace BedrockImport.Inference.Tests.Tokenization;

/// <summary>
/// The tokenizer against the Rust tokenizers (Tokenizers.DotNet wraps them; it always applies the post-processor and
/// drops special tokens when decoding, so it is compared with encodings that add special tokens and decodings that skip them).
/// </summary>
public class OracleComparisonTests
{
    private static uint[] Ids(IEnumerable<int> ids) => ids.Select(id => (uint)id).ToArray();

    [Theory]
    [MemberData(nameof(TokenizerCases.TokenizerAndText), MemberType = typeof(TokenizerCases))]
    public void Encoding_with_special_tokens_equals_the_rust_tokenizers(string name, int textIndex)
    {
        var text = TokenizerCases.Texts[textIndex];
        var oracle = new RustTokenizer(vocabPath: TokenizerCases.TokenizerPath(name));
        var tokenizer = ModelTokenizer.Load(TokenizerCases.TokenizerPath(name));

        Assert.Equal(oracle.Encode(text), Ids(tokenizer.Encode(text, addSpecialTokens: true)));
    }

    [Theory]
    [MemberData(nameof(TokenizerCases.TokenizerAndText), MemberType = typeof(TokenizerCases))]
    public void Encoding_without_special_tokens_drops_only_the_post_processor_tokens(string name, int textIndex)
    {
        var text = TokenizerCases.Texts[textIndex];
        var tokenizer = ModelTokenizer.Load(TokenizerCases.TokenizerPath(name));

        var with = tokenizer.Encode(text, addSpecialTokens: true);
        var without = tokenizer.Encode(text, addSpecialTokens: false);

        Assert.Equal(tokenizer.PrefixTokenIds.Concat(without).Concat(tokenizer.SuffixTokenIds), with);
    }

    [Theory]
    [MemberData(nameof(TokenizerCases.TokenizerAndText), MemberType = typeof(TokenizerCases))]
    public void Decoding_without_special_tokens_equals_the_rust_tokenizers(string name, int textIndex)
    {
        var text = TokenizerCases.Texts[textIndex];
        var oracle = new RustTokenizer(vocabPath: TokenizerCases.TokenizerPath(name));
        var tokenizer = ModelTokenizer.Load(TokenizerCases.TokenizerPath(name));
        var ids = tokenizer.Encode(text, addSpecialTokens: true);

        Assert.Equal(oracle.Decode(Ids(ids)), tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public void The_fixture_prompts_encode_to_the_transformers_input_ids(string model)
    {
        using var reference = System.Text.Json.JsonDocument.Parse(File.ReadAllText(FixtureTests.FixturePath("reference.json")));
        var greedy = reference.RootElement.GetProperty("models").GetProperty(model).GetProperty("greedy");
        var expected = greedy.GetProperty("input_ids").EnumerateArray().Select(id => id.GetInt32()).ToArray();
        var tokenizer = ModelTokenizer.Load(Path.GetDirectoryName(TokenizerCases.TokenizerPath(model))!);

        Assert.Equal(expected, tokenizer.Encode(greedy.GetProperty("prompt").GetString()!, addSpecialTokens: false));
    }

    [Theory]
    [MemberData(nameof(TokenizerCases.AllTokenizers), MemberType = typeof(TokenizerCases))]
    public void A_long_text_with_long_words_equals_the_rust_tokenizers(string name)
    {
        var builder = new StringBuilder();
        var random = new Random(13);
        var alphabet = "abcdefghijklmnopqrstuvwxyz日本語のテキスト🎉𠮷 \n".EnumerateRunes().Select(r => r.ToString()).ToArray();
        for (var i = 0; i < 6000; i++) builder.Append(alphabet[random.Next(alphabet.Length)]);
        builder.Append(new string('a', 3000)).Append(' ').Append(string.Concat(Enumerable.Repeat("日本", 1500)));
        var text = builder.ToString();
        var oracle = new RustTokenizer(vocabPath: TokenizerCases.TokenizerPath(name));
        var tokenizer = ModelTokenizer.Load(TokenizerCases.TokenizerPath(name));

        Assert.Equal(oracle.Encode(text), Ids(tokenizer.Encode(text, addSpecialTokens: true)));
        Assert.Equal(oracle.Encode(text), Ids(tokenizer.Encode(text, addSpecialTokens: true))); // again, from the cache
    }

    [Theory]
    [InlineData("sentencepiece-legacy")]
    [InlineData("sentencepiece-metaspace")]
    public void Characters_outside_the_small_vocabulary_fall_back_to_byte_tokens(string name)
    {
        var tokenizer = ModelTokenizer.Load(TokenizerCases.TokenizerPath(name));
        var ids = tokenizer.Encode("日本語 🎉", addSpecialTokens: false);
        var tokens = ids.Select(id => tokenizer.IdToToken(id)).ToArray();

        // 🎉 is not in the vocabulary: its four UTF-8 bytes F0 9F 8E 89 come out as byte tokens.
        Assert.Equal(new[] { "<0xF0>", "<0x9F>", "<0x8E>", "<0x89>" }, tokens[^4..]);
        Assert.Contains("▁日本語", tokens);
    }
}

public sealed class AddedTokenNumberingTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tokenizer-numbering-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Added_tokens_are_numbered_as_the_rust_tokenizers_number_them_whatever_ids_the_file_says()
    {
        // Ids with a gap, a wrong id for a vocabulary entry and a repeated content: the Rust tokenizers renumber.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(TokenizerCases.TokenizerPath("sentencepiece-metaspace")))!.AsObject();
        var vocabularySize = json["model"]!["vocab"]!.AsObject().Count;
        json["added_tokens"] = System.Text.Json.Nodes.JsonNode.Parse($$"""
            [
              {"id": 1, "content": "<s>", "special": true, "normalized": false, "single_word": false, "lstrip": false, "rstrip": false},
              {"id": {{vocabularySize + 7}}, "content": "<first>", "special": true, "normalized": false, "single_word": false, "lstrip": false, "rstrip": false},
              {"id": 0, "content": "<second>", "special": true, "normalized": false, "single_word": false, "lstrip": false, "rstrip": false},
              {"id": 5, "content": "</s>", "special": true, "normalized": false, "single_word": false, "lstrip": false, "rstrip": false},
              {"id": {{vocabularySize + 1}}, "content": "<first>", "special": false, "normalized": false, "single_word": false, "lstrip": false, "rstrip": false},
              {"id": {{vocabularySize + 2}}, "content": "<third>", "special": true, "normalized": false, "single_word": false, "lstrip": false, "rstrip": false}
            ]
            """);
        var path = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        var text = "<s>a<first>b<second>c</s><third>";
        var oracle = new RustTokenizer(vocabPath: path);
        var tokenizer = ModelTokenizer.Load(path);

        var ids = tokenizer.Encode(text, addSpecialTokens: true);

        Assert.Equal(oracle.Encode(text), ids.Select(id => (uint)id).ToArray());
        Assert.Equal(vocabularySize + 3, tokenizer.VocabularySize);
        Assert.True(tokenizer.IsSpecial(tokenizer.TokenToId("<first>")!.Value)); // once special, always special
        Assert.Equal(oracle.Decode(ids.Select(id => (uint)id).ToArray()), tokenizer.Decode(ids, skipSpecialTokens: true));
    }
}

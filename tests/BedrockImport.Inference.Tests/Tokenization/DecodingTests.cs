using BedrockImport.Inference.Tokenization;

namespace BedrockImport.Inference.Tests.Tokenization;

public class DecodingTests
{
    private static ModelTokenizer Load(string name) => ModelTokenizer.Load(TokenizerCases.TokenizerPath(name));

    public static IEnumerable<object[]> ByteLevelTokenizerAndText() =>
        // Not bytelevel-regex: its add_prefix_space puts a space before each piece that decoding keeps, in Rust as here.
        from name in new[] { "llama", "qwen2", "llama3-style", "qwen2-style" }
        from index in Enumerable.Range(0, TokenizerCases.Texts.Length)
        select new object[] { name, index };

    [Theory]
    [MemberData(nameof(ByteLevelTokenizerAndText))]
    public void Byte_level_text_decodes_back_to_itself_special_tokens_included(string name, int textIndex)
    {
        var text = TokenizerCases.Texts[textIndex];
        var tokenizer = Load(name);
        var ids = tokenizer.Encode(text, addSpecialTokens: false);

        // <mask> strips the white space on its left (lstrip), so that text comes back without it.
        var expected = name is "llama3-style" or "qwen2-style" ? text.Replace("   <mask>", "<mask>") : text;
        // qwen2-style normalizes to NFC first: e + U+0301 comes back as é.
        if (name == "qwen2-style") expected = expected.Normalize(System.Text.NormalizationForm.FormC);
        Assert.Equal(expected, tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [Theory]
    [InlineData("sentencepiece-legacy")]
    [InlineData("sentencepiece-metaspace")]
    public void SentencePiece_text_decodes_back_to_itself(string name)
    {
        var tokenizer = Load(name);
        // Not the texts that start with a space: Metaspace's decoder drops the first token's ▁, in Rust as here.
        foreach (var text in TokenizerCases.Texts.Where(t => t.Length > 0 && t[0] != ' ' && !t.Contains('<') && !t.Contains('[')))
        {
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addSpecialTokens: true), skipSpecialTokens: true));
        }
    }

    [Fact]
    public void Special_tokens_are_kept_or_dropped_when_decoding()
    {
        var tokenizer = Load("llama3-style");
        var ids = tokenizer.Encode("<|start_header_id|>user<|end_header_id|>hi", addSpecialTokens: true);

        Assert.Equal(tokenizer.BosTokenId, ids[0]);
        Assert.True(tokenizer.IsSpecial(ids[0]));
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>hi", tokenizer.Decode(ids, skipSpecialTokens: false));
        Assert.Equal("userhi", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void A_non_special_added_token_is_kept_when_special_tokens_are_skipped()
    {
        var tokenizer = Load("llama3-style");
        var ids = tokenizer.Encode("a tool_call", addSpecialTokens: false);
        var toolCall = tokenizer.TokenToId("tool_call")!.Value;

        Assert.Contains(toolCall, ids);
        Assert.False(tokenizer.IsSpecial(toolCall));
        Assert.Equal("a tool_call", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Ids_the_tokenizer_does_not_know_are_left_out()
    {
        var tokenizer = Load("llama");
        var ids = tokenizer.Encode("Hello", addSpecialTokens: false).Append(tokenizer.VocabularySize + 5).Append(-1);

        Assert.Equal("Hello", tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [Theory]
    [MemberData(nameof(TokenizerCases.TokenizerAndText), MemberType = typeof(TokenizerCases))]
    public void Streamed_chunks_join_to_the_full_decoding_and_never_split_a_character(string name, int textIndex)
    {
        var text = TokenizerCases.Texts[textIndex];
        var tokenizer = Load(name);
        var ids = tokenizer.Encode(text, addSpecialTokens: true);
        foreach (var skip in new[] { true, false })
        {
            var decoder = tokenizer.CreateDecoder(skip);
            var chunks = ids.Select(decoder.Add).ToList();
            chunks.Add(decoder.Flush());

            Assert.Equal(tokenizer.Decode(ids, skip), string.Concat(chunks));
            foreach (var chunk in chunks)
            {
                Assert.DoesNotContain('\uFFFD', chunk);
                Assert.False(chunk.Length > 0 && char.IsHighSurrogate(chunk[^1]), "a chunk ends inside a surrogate pair");
                Assert.False(chunk.Length > 0 && char.IsLowSurrogate(chunk[0]), "a chunk starts inside a surrogate pair");
            }
        }
    }

    [Fact]
    public void A_character_spread_over_byte_tokens_comes_out_with_its_last_byte()
    {
        var tokenizer = Load("sentencepiece-legacy");
        var ids = tokenizer.Encode("🎉", addSpecialTokens: false);
        var decoder = tokenizer.CreateDecoder(skipSpecialTokens: true);

        var chunks = ids.Select(decoder.Add).ToArray();

        // ▁ then the four byte tokens of 🎉: nothing until the fourth byte completes the character.
        Assert.Equal(5, ids.Count);
        Assert.Equal(new[] { "", "", "", "", "🎉" }, chunks);
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void An_incomplete_character_at_the_end_of_a_stream_is_flushed_as_a_replacement_character()
    {
        var tokenizer = Load("sentencepiece-legacy");
        var bytes = new[] { "<0xF0>", "<0x9F>" }.Select(token => tokenizer.TokenToId(token)!.Value);
        var decoder = tokenizer.CreateDecoder(skipSpecialTokens: true);

        Assert.All(bytes.Select(decoder.Add), chunk => Assert.Equal("", chunk));
        Assert.Contains('\uFFFD', decoder.Flush());
    }

    [Fact]
    public void A_stream_goes_on_after_invalid_bytes()
    {
        var tokenizer = Load("sentencepiece-legacy");
        var party = tokenizer.Encode("🎉", addSpecialTokens: false);
        var invalid = tokenizer.TokenToId("<0xFF>")!.Value;
        var the = tokenizer.TokenToId("▁the")!.Value;
        var decoder = tokenizer.CreateDecoder(skipSpecialTokens: true);

        var chunks = party.Select(decoder.Add).ToList();
        chunks.Add(decoder.Add(invalid));
        chunks.Add(decoder.Add(the));
        chunks.Add(decoder.Flush());

        Assert.Equal("🎉", chunks[party.Count - 1]);
        Assert.Equal("", chunks[party.Count]); // 0xFF alone: held, it may be the start of something
        Assert.Equal("\uFFFD the", chunks[party.Count + 1]);
        Assert.Equal("", chunks[^1]);
    }
}

using System.Text.Json.Nodes;
using BedrockImport.Inference.Tokenization;

namespace BedrockImport.Inference.Tests.Tokenization;

public sealed class LoadingTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tokenizer-tests-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static JsonObject Fixture() =>
        JsonNode.Parse(File.ReadAllText(TokenizerCases.TokenizerPath("sentencepiece-legacy")))!.AsObject();

    private string Write(string json)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(path, json);
        return path;
    }

    private TokenizerFormatException LoadFails(string json, TokenizerLimits limits = null)
    {
        var path = Write(json);
        var error = Assert.Throws<TokenizerFormatException>(() => ModelTokenizer.Load(path, limits));
        Assert.Equal(path, error.FilePath);
        Assert.StartsWith(path, error.Message);
        return error;
    }

    private TokenizerFormatException LoadFails(Action<JsonObject> change, TokenizerLimits limits = null)
    {
        var json = Fixture();
        change(json);
        return LoadFails(json.ToJsonString(), limits);
    }

    [Fact]
    public void A_folder_loads_its_tokenizer_and_the_special_ids_of_its_configs()
    {
        var tokenizer = ModelTokenizer.Load(Path.GetDirectoryName(TokenizerCases.TokenizerPath("llama"))!);

        Assert.Equal(0, tokenizer.BosTokenId); // tokenizer_config's <s>: the template adds nothing
        Assert.Equal(new[] { 1 }, tokenizer.EosTokenIds); // generation_config's eos_token_id
        Assert.Equal(594, tokenizer.VocabularySize);
        Assert.True(tokenizer.IsSpecial(6));
        Assert.False(tokenizer.IsSpecial(100));
        Assert.Empty(tokenizer.PrefixTokenIds);
    }

    [Fact]
    public void A_list_of_eos_ids_in_generation_config_is_read_whole()
    {
        File.Copy(TokenizerCases.TokenizerPath("llama3-style"), Path.Combine(folder, "tokenizer.json"));
        File.WriteAllText(Path.Combine(folder, "generation_config.json"), "{\"bos_token_id\": 5, \"eos_token_id\": [638, 6]}");

        var tokenizer = ModelTokenizer.Load(folder);

        Assert.Equal(new[] { 638, 6 }, tokenizer.EosTokenIds);
        Assert.Equal(637, tokenizer.BosTokenId); // the template's <|begin_of_text|> wins over the config
        Assert.Equal(new[] { 637 }, tokenizer.PrefixTokenIds);
    }

    [Fact]
    public void Malformed_json_is_a_format_error()
    {
        Assert.Contains("not valid JSON", LoadFails("{\"model\": {").Problem);
    }

    [Fact]
    public void A_missing_file_is_a_format_error()
    {
        var path = Path.Combine(folder, "absent", "tokenizer.json");
        var error = Assert.Throws<TokenizerFormatException>(() => ModelTokenizer.Load(path));
        Assert.Contains("does not exist", error.Problem);
    }

    [Theory]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{}", "no model")]
    [InlineData("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}", "model type 'WordPiece' is not supported")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": [1, 2], \"merges\": []}}", "model.vocab: expected an object")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"zero\"}, \"merges\": []}}", "model.vocab.a: expected a number")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -3}, \"merges\": []}}", "expected an integer")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}", "model.merges[0]: merge token 'b' is not in the vocabulary")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a a a\"]}}", "two tokens separated by one space")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [[\"a\"]]}}", "a pair of tokens")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [[\"a\", \"a\"]]}}", "merged token 'aa' is not in the vocabulary")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [], \"unk_token\": \"<unk>\"}}", "unknown token '<unk>' is not in the vocabulary")]
    [InlineData("{\"added_tokens\": [{\"id\": 1}], \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}", "added_tokens[0].content: expected a string, found null")]
    [InlineData("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(unclosed\"}, \"behavior\": \"Isolated\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}", "pre_tokenizer.pattern.Regex: the pattern is not a regular expression")]
    [InlineData("{\"pre_tokenizer\": {\"type\": \"Whatever\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}", "pre-tokenizer type 'Whatever' is not supported")]
    [InlineData("{\"normalizer\": {\"type\": \"Precompiled\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}", "normalizer type 'Precompiled' is not supported")]
    [InlineData("{\"decoder\": 7, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}", "decoder: expected an object, found a number")]
    [InlineData("{\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<s>\"}}, {\"Sequence\": {\"id\": \"A\"}}], \"special_tokens\": {}}, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}", "special token '<s>' is not in special_tokens")]
    public void Wrong_shapes_are_format_errors_that_say_where(string json, string expected)
    {
        Assert.Contains(expected, LoadFails(json).Message);
    }

    [Fact]
    public void Deeply_nested_sequences_are_refused()
    {
        JsonNode nested = new JsonObject { ["type"] = "NFC" };
        for (var i = 0; i < 20; i++) nested = new JsonObject { ["type"] = "Sequence", ["normalizers"] = new JsonArray(nested) };
        Assert.Contains("nest too deeply", LoadFails(json => json["normalizer"] = nested).Problem);
    }

    [Fact]
    public void Sizes_over_the_limits_are_refused()
    {
        var path = TokenizerCases.TokenizerPath("sentencepiece-legacy");
        var text = File.ReadAllText(path);
        Assert.Contains("more than the limit", LoadFails(text, new TokenizerLimits { MaxFileBytes = 1000 }).Problem);
        Assert.Contains("model.vocab: more entries than the limit of 100", LoadFails(text, new TokenizerLimits { MaxVocabularySize = 100 }).Message);
        Assert.Contains("model.merges: ", LoadFails(text, new TokenizerLimits { MaxMerges = 10 }).Message);
        Assert.Contains("added_tokens: 3 entries are more than the limit of 2", LoadFails(text, new TokenizerLimits { MaxAddedTokens = 2 }).Message);
        Assert.Contains("longer than", LoadFails(json => ((JsonObject)json["model"]!["vocab"]!)[new string('x', 5000)] = 999).Problem);
    }

    [Fact]
    public void A_pattern_that_backtracks_too_long_fails_the_encoding_with_a_format_error()
    {
        var path = Write("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(a+)+b\"}, \"behavior\": \"Isolated\"}, " +
                         "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}");
        var tokenizer = ModelTokenizer.Load(path, new TokenizerLimits { RegexTimeout = TimeSpan.FromMilliseconds(50) });

        var error = Assert.Throws<TokenizerFormatException>(() => tokenizer.Encode(new string('a', 5000) + "!", addSpecialTokens: false));
        Assert.Equal(path, error.FilePath);
        Assert.Contains("split pattern took longer", error.Problem);
    }
}

using System.Text;
using BedrockImport.Inference.Model;
using BedrockImport.Inference.Tests.Tokenization;
using BedrockImport.Inference.Tokenization;

namespace BedrockImport.Inference.Tests.Fuzz;

/// <summary>Regressions for what AFL++ found in the inference engine's readers (fuzz/findings, docs/FUZZING.md): invalid
/// UTF-8 or an unpaired surrogate escape inside a JSON string escaped as InvalidOperationException before the fix.</summary>
public sealed class FuzzFindingTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fuzz-finding-tests-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>The bytes with 0xFF put right after the first occurrence of <paramref name="after"/>.</summary>
    private static byte[] Corrupt(byte[] bytes, string after)
    {
        var marker = Encoding.UTF8.GetBytes(after);
        var at = bytes.AsSpan().IndexOf(marker);
        Assert.True(at >= 0, "marker '" + after + "' not found");
        var end = at + marker.Length;
        return bytes.Take(end).Append((byte)0xFF).Concat(bytes.Skip(end)).ToArray();
    }

    [Fact]
    public void A_tokenizer_json_with_invalid_utf8_in_a_vocabulary_token_is_a_tokenizer_format_error()
    {
        // fuzz/findings/tokenizer: a real tokenizer.json with 0xFF put into its first vocabulary token.
        var path = Path.Combine(folder, "tokenizer.json");
        File.WriteAllBytes(path, Corrupt(File.ReadAllBytes(TokenizerCases.TokenizerPath("sentencepiece-legacy")), "\"vocab\": {\n   \""));

        var error = Assert.Throws<TokenizerFormatException>(() => ModelTokenizer.Load(path));
        Assert.Equal(path, error.FilePath);
        Assert.Contains("not valid JSON", error.Message);
        Assert.Contains("not valid Unicode", error.Message);
    }

    [Fact]
    public void A_tokenizer_config_with_an_unpaired_surrogate_escape_is_a_tokenizer_format_error()
    {
        File.Copy(TokenizerCases.TokenizerPath("sentencepiece-legacy"), Path.Combine(folder, "tokenizer.json"));
        var config = Path.Combine(folder, "tokenizer_config.json");
        File.WriteAllText(config, "{\"bos_token\": \"\\ud800\"}");

        var error = Assert.Throws<TokenizerFormatException>(() => ModelTokenizer.Load(folder));
        Assert.Equal(config, error.FilePath);
    }

    [Theory]
    // fuzz/findings/safetensors-file/id-000000: "dtype":"<0xBB>64"; then the same byte in a tensor name.
    [InlineData("\"dtype\":\"")]
    [InlineData("{\"")]
    public void A_safetensors_header_with_invalid_utf8_is_a_model_format_error(string after)
    {
        var header = Encoding.UTF8.GetBytes("{\"n\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}");
        header = Corrupt(header, after);
        var path = Path.Combine(folder, "model.safetensors");
        File.WriteAllBytes(path, BitConverter.GetBytes((long)header.Length).Concat(header).Concat(new byte[8]).ToArray());

        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains("not valid Unicode", error.Message);
    }
}

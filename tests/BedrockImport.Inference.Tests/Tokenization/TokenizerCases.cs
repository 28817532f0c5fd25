namespace BedrockImport.Inference.Tests.Tokenization;

/// <summary>The tokenizer files under test and the strings each is compared with the Rust tokenizers on.</summary>
public static class TokenizerCases
{
    public static string TokenizerPath(string name) => name switch
    {
        "llama" or "qwen2" => FixtureTests.FixturePath(name, "tokenizer.json"),
        _ => Path.Combine(AppContext.BaseDirectory, "Tokenization", "Data", name, "tokenizer.json"),
    };

    public static readonly string[] Tokenizers = { "llama", "qwen2", "bytelevel-regex", "llama3-style", "qwen2-style", "sentencepiece-legacy", "sentencepiece-metaspace", "sentencepiece-components" };

    public static readonly string[] Texts =
    {
        "",
        "質問: 次のうち、金管楽器であるのはどれ？ 回答:",
        "Hello world",
        "The quick brown fox's jumping; I'll say we've DON'T I'M we'LL",
        "日本語のテキストです。東京は晴れ、大阪は雨でしょう。カタカナとひらがな",
        "👋🌍 🎉🎉 party",
        "👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👩🏽‍💻 coder",
        // Flags: regional indicator pairs and a subdivision flag (black flag, tag characters U+E0067.., cancel tag), all outside the BMP.
        "🇯🇵 Japan 🇯🇵🇫🇷x 🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F Scotland🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F!",
        "𠮷野家 𝐀𝐁𝐂 𝒳𝓎 𝟘𝟙𝟚 🎉x 𠮷a",
        "𠮷野 a𝐀𝐁 𝟙𝟚𝟛𝟜 x𠮷a 𝒳𝓎z 𝒳𝓎z",
        "Ελληνικά русский 中文 العربية हिन्दी 한국어 café naïve",
        "12345 3.14159 1,000,000 ١٢٣ 2026-12-03",
        "a   b\t\tc\n\n\nd  \n  e   ",
        "   leading spaces",
        "trailing spaces   ",
        " \n",
        "<s>Hello</s> [INST] hi [/INST]<|eot_id|>",
        "<|im_start|>user\n日本<|im_end|>\n<|im_start|>assistant",
        "hello   <mask> there tool_call!",
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
        "the test of tokens is a test to the world and café",
        "\u00e9 e\u0301 \ufb01 \u2460 \u3000 \u00a0 x",
        "a <sep>   b and band and_ x<sep>y 42and and",
        "Hey!!? no,, yes.. a.b - c--d ?",
    };

    public static IEnumerable<object[]> TokenizerAndText() =>
        from tokenizer in Tokenizers from index in Enumerable.Range(0, Texts.Length) select new object[] { tokenizer, index };

    public static IEnumerable<object[]> AllTokenizers() => Tokenizers.Select(name => new object[] { name });
}

namespace BedrockImport.Inference.Tokenization;

/// <summary>
/// Bounds on a tokenizer read from a model repository (untrusted input). Real tokenizers stay far below them:
/// Llama 3's tokenizer.json is 9 MB with 128k vocabulary entries and 280k merges, Gemma's vocabulary has 256k entries.
/// </summary>
public sealed record TokenizerLimits
{
    public static TokenizerLimits Default { get; } = new();

    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;
    public int MaxVocabularySize { get; init; } = 1_000_000;
    public int MaxMerges { get; init; } = 2_000_000;
    public int MaxAddedTokens { get; init; } = 100_000;
    /// <summary>Longest vocabulary entry, added token or pattern, in UTF-16 code units.</summary>
    public int MaxTokenLength { get; init; } = 4096;
    /// <summary>How deep normalizer, pre-tokenizer, decoder and post-processor sequences may nest.</summary>
    public int MaxComponentDepth { get; init; } = 8;
    /// <summary>How long one regex match of a split pattern may take before encoding fails (a pattern can backtrack badly).</summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Pre-tokens whose ids are kept for reuse.</summary>
    public int CacheEntries { get; init; } = 50_000;
}

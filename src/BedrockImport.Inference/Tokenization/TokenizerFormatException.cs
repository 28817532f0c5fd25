namespace BedrockImport.Inference.Tokenization;

/// <summary>
/// A tokenizer file (tokenizer.json, tokenizer_config.json, generation_config.json) that cannot be used: malformed JSON,
/// an unexpected shape, a size over the bounds, or a component this engine does not implement.
/// </summary>
public sealed class TokenizerFormatException : Exception
{
    public TokenizerFormatException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file that is wrong.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the path.</summary>
    public string Problem { get; }
}

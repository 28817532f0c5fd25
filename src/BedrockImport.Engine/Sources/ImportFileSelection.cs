namespace BedrockImport.Engine.Sources;

/// <summary>Which files of a model repository an import needs: the safetensors weights and their index, the configs,
/// the tokenizer files and the chat template, at the top of the repository. A Hub repository often carries more
/// (original/*.pth, pytorch_model*.bin, onnx/, gguf files, README and images), which Bedrock does not read and which
/// can double a copy's size.</summary>
public static class ImportFileSelection
{
    private static readonly HashSet<string> NeededNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "config.json",
        "generation_config.json",
        "model.safetensors.index.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "tokenizer.model",
        "special_tokens_map.json",
        "added_tokens.json",
        "vocab.json",
        "vocab.txt",
        "merges.txt",
        "chat_template.jinja",
        "chat_template.json",
    };

    /// <summary>True for a top-level file an import reads (relative path with '/' separators).</summary>
    public static bool IsNeededForImport(string path)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        if (path.IndexOf('/') >= 0)
        {
            return false;
        }

        return NeededNames.Contains(path) || path.EndsWith(".safetensors", StringComparison.Ordinal);
    }

    /// <summary>The default selection widened by <paramref name="include"/> (any match is copied too) and narrowed by
    /// <paramref name="exclude"/> (any match is left out, whatever else says). Hidden files and folders (.git,
    /// .gitattributes, .cache) always stay out.</summary>
    public static Func<string, bool> Build(Func<string, bool> selectedByDefault, Func<string, bool>? include, Func<string, bool>? exclude)
    {
        if (selectedByDefault == null) throw new ArgumentNullException(nameof(selectedByDefault));
        return path => ModelSourceFile.IsVisible(path)
            && !(exclude != null && exclude(path))
            && (selectedByDefault(path) || (include != null && include(path)));
    }
}

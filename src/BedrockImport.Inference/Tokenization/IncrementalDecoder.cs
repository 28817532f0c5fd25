namespace BedrockImport.Inference.Tokenization;

/// <summary>
/// Decodes generated ids one at a time for streaming. Each <see cref="Add"/> returns the text the new id completes,
/// or an empty string while the text ends inside a UTF-8 character (its bytes spread over several byte-level or
/// byte-fallback tokens). The chunks joined equal <see cref="ModelTokenizer.Decode"/> of all the ids.
/// </summary>
/// <remarks>
/// The ids since the last emitted chunk are decoded together with the tokens that ended that chunk, so decoders that
/// treat the first token differently (Metaspace, Strip) see the same context for the previous and the new text.
/// Text that really ends in U+FFFD is held until the next id or <see cref="Flush"/>.
/// Not thread-safe: one per stream.
/// </remarks>
public sealed class IncrementalDecoder
{
    private readonly ModelTokenizer tokenizer;
    private readonly bool skipSpecialTokens;
    private const int MaxContextTokens = 8;
    private readonly List<int> window = new();
    private string windowPrefix = "";

    internal IncrementalDecoder(ModelTokenizer tokenizer, bool skipSpecialTokens)
    {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>The text that this id completes (possibly empty).</summary>
    public string Add(int id)
    {
        window.Add(id);
        var text = tokenizer.Decode(window, skipSpecialTokens);
        if (text.Length <= windowPrefix.Length || text.EndsWith('\uFFFD') || !text.StartsWith(windowPrefix, StringComparison.Ordinal))
        {
            return "";
        }
        return Emit(text);
    }

    /// <summary>Whatever is held back at the end of the stream (an incomplete character comes out as U+FFFD).</summary>
    public string Flush()
    {
        if (window.Count == 0) return "";
        var text = tokenizer.Decode(window, skipSpecialTokens);
        if (!text.StartsWith(windowPrefix, StringComparison.Ordinal)) return text.Length > windowPrefix.Length ? text[windowPrefix.Length..] : "";
        return text.Length > windowPrefix.Length ? Emit(text) : "";
    }

    private string Emit(string text)
    {
        var chunk = text[windowPrefix.Length..];
        // Keep the shortest tail of the window that decodes on its own to whole characters as context for the next
        // chunk: a lone byte token would decode to U+FFFD and spoil the comparison with the next decoding.
        var start = window.Count - 1;
        for (var candidate = window.Count - 1; candidate >= Math.Max(0, window.Count - MaxContextTokens); candidate--)
        {
            if (!tokenizer.Decode(window.GetRange(candidate, window.Count - candidate), skipSpecialTokens).Contains('\uFFFD'))
            {
                start = candidate;
                break;
            }
        }
        window.RemoveRange(0, start);
        windowPrefix = tokenizer.Decode(window, skipSpecialTokens);
        return chunk;
    }
}

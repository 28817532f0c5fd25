namespace BedrockImport.Inference.Tokenization;

/// <summary>
/// Decodes generated ids one at a time for streaming. Each <see cref="Add"/> returns the text the new id completes,
/// or an empty string while the text ends inside a UTF-8 character (its bytes spread over several byte-level or
/// byte-fallback tokens). The chunks joined equal <see cref="ModelTokenizer.Decode"/> of all the ids, except after
/// invalid UTF-8 from byte-fallback tokens: the full decoding then turns a whole run of byte tokens into U+FFFD,
/// while the stream has already given the run's valid start and goes on with the ids after it.
/// </summary>
/// <remarks>
/// The ids since the last chunk are decoded together with the tokens that ended that chunk (the context), so decoders
/// that treat the first token differently (Metaspace, Strip) see the same context for the previous and the new text.
/// Text that really ends in U+FFFD is held until the next id or <see cref="Flush"/>. Not thread-safe: one per stream.
/// </remarks>
public sealed class IncrementalDecoder
{
    private const int MaxContextTokens = 8;
    private readonly ModelTokenizer tokenizer;
    private readonly bool skipSpecialTokens;
    private readonly List<int> window = new();
    private int contextCount;
    private string contextText = "";

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
        if (text.StartsWith(contextText, StringComparison.Ordinal))
        {
            return text.Length > contextText.Length && !text.EndsWith('\uFFFD') ? Emit(text[contextText.Length..]) : "";
        }
        // The context decodes differently with the new ids (a byte-fallback run became invalid UTF-8): go on with the
        // new ids alone rather than hold everything back.
        var newText = DecodeAfterContext();
        return newText.Length > 0 && !newText.EndsWith('\uFFFD') ? Emit(newText) : "";
    }

    /// <summary>Whatever is held back at the end of the stream (an incomplete character comes out as U+FFFD).</summary>
    public string Flush()
    {
        if (window.Count == contextCount) return "";
        var text = tokenizer.Decode(window, skipSpecialTokens);
        var chunk = text.StartsWith(contextText, StringComparison.Ordinal) ? text[contextText.Length..] : DecodeAfterContext();
        window.Clear();
        contextCount = 0;
        contextText = "";
        return chunk;
    }

    private string DecodeAfterContext() => tokenizer.Decode(window.Skip(contextCount), skipSpecialTokens);

    private string Emit(string chunk)
    {
        // The next context: the shortest tail of the window that decodes on its own to whole characters (a lone byte
        // token would decode to U+FFFD and spoil the comparison with the next decoding).
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
        contextCount = window.Count;
        contextText = tokenizer.Decode(window, skipSpecialTokens);
        return chunk;
    }
}

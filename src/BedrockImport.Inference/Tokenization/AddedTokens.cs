namespace BedrockImport.Inference.Tokenization;

/// <summary>One entry of tokenizer.json's added_tokens.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool Normalized, bool LeftStrip, bool RightStrip, bool SingleWord);

/// <summary>
/// Finds added tokens in text before the model sees it: leftmost, then longest match (as the Rust tokenizers'
/// Aho-Corasick with LeftmostLongest), honouring single_word, lstrip and rstrip.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private sealed class Node
    {
        public Dictionary<char, Node>? Children;
        public AddedToken? Token;
    }

    private readonly Node root = new();

    public AddedTokenMatcher(IEnumerable<(string Content, AddedToken Token)> tokens)
    {
        foreach (var (content, token) in tokens)
        {
            if (content.Length == 0) continue;
            var node = root;
            foreach (var c in content)
            {
                node.Children ??= new Dictionary<char, Node>();
                if (!node.Children.TryGetValue(c, out var child)) node.Children[c] = child = new Node();
                node = child;
            }
            node.Token ??= token;
        }
        IsEmpty = root.Children is null;
    }

    public bool IsEmpty { get; }

    /// <summary>Cuts the text into (token or null, start, end) parts covering it; null parts go on to the model.</summary>
    public List<(AddedToken? Token, int Start, int End)> Split(string text)
    {
        var parts = new List<(AddedToken?, int, int)>();
        var unmatchedFrom = 0;
        var position = 0;
        while (!IsEmpty && position < text.Length)
        {
            var (token, length) = LongestAt(text, position);
            if (token is null)
            {
                position++;
                continue;
            }
            var start = position;
            var stop = position + length;
            if (token.SingleWord && ((start > 0 && IsWordChar(text, start - 1, before: true)) || (stop < text.Length && IsWordChar(text, stop, before: false))))
            {
                position++;
                continue;
            }
            if (token.LeftStrip)
            {
                while (start > unmatchedFrom && char.IsWhiteSpace(text[start - 1])) start--;
            }
            if (token.RightStrip)
            {
                while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
            }
            if (unmatchedFrom < start) parts.Add((null, unmatchedFrom, start));
            parts.Add((token, start, stop));
            unmatchedFrom = position = stop;
        }
        if (unmatchedFrom < text.Length || parts.Count == 0) parts.Add((null, unmatchedFrom, text.Length));
        return parts;
    }

    private (AddedToken? Token, int Length) LongestAt(string text, int position)
    {
        AddedToken? found = null;
        var foundLength = 0;
        var node = root;
        for (var i = position; i < text.Length; i++)
        {
            if (node.Children is null || !node.Children.TryGetValue(text[i], out node)) break;
            if (node.Token is not null)
            {
                found = node.Token;
                foundLength = i - position + 1;
            }
        }
        return (found, foundLength);
    }

    private static bool IsWordChar(string text, int index, bool before)
    {
        // The code point just before or after the match, surrogate pairs taken whole.
        if (before && index > 0 && char.IsLowSurrogate(text[index]) && char.IsHighSurrogate(text[index - 1])) index--;
        if (System.Text.Rune.DecodeFromUtf16(text.AsSpan(index), out var rune, out _) != System.Buffers.OperationStatus.Done) return false;
        return System.Text.Rune.IsLetterOrDigit(rune) || rune.Value == '_';
    }
}

namespace BedrockImport.Engine.Invocation;

/// <summary>Where a stop sequence was found in an answer.</summary>
public sealed class StopSequenceMatch
{
    internal StopSequenceMatch(string sequence, int index)
    {
        Sequence = sequence;
        Index = index;
    }

    public string Sequence { get; }

    /// <summary>Index of the stop sequence's first character in the answer text.</summary>
    public int Index { get; }

    public int End => Index + Sequence.Length;
}

/// <summary>The stop sequences we enforce ourselves, because the service may ignore "stop" (field report 000).
/// The answer ends where a stop sequence first becomes complete: of all occurrences, the one that ends
/// earliest wins (ties: the longest). This is the rule a streaming reader can apply as tokens arrive, so a
/// streamed and a non-streamed answer are cut at the same place. The stop sequence itself is dropped unless
/// IncludeStopSequence.</summary>
public sealed class StopSequenceSet
{
    public static readonly StopSequenceSet None = new StopSequenceSet(null);

    public StopSequenceSet(IEnumerable<string>? sequences, bool includeStopSequence = false)
    {
        var list = new List<string>();
        foreach (var sequence in sequences ?? Enumerable.Empty<string>())
        {
            if (string.IsNullOrEmpty(sequence))
                throw new InvocationValidationException("A stop sequence must not be empty.", "StopSequence");
            if (!list.Contains(sequence, StringComparer.Ordinal)) list.Add(sequence);
        }
        Sequences = list;
        IncludeStopSequence = includeStopSequence;
        LongestLength = list.Count == 0 ? 0 : list.Max(s => s.Length);
    }

    public IReadOnlyList<string> Sequences { get; }
    public bool IncludeStopSequence { get; }
    public bool IsEmpty => Sequences.Count == 0;
    internal int LongestLength { get; }

    /// <summary>The first stop sequence to complete in text, or null.</summary>
    public StopSequenceMatch? FindFirst(string text) => FindFirst(text, 0);

    /// <summary>As <see cref="FindFirst(string)"/>, for occurrences that end after <paramref name="knownClearLength"/>
    /// characters (the text before it is known to hold no complete stop sequence).</summary>
    public StopSequenceMatch? FindFirst(string text, int knownClearLength)
    {
        StopSequenceMatch? best = null;
        foreach (var sequence in Sequences)
        {
            var from = Math.Max(0, knownClearLength - sequence.Length + 1);
            if (from > text.Length) continue;
            var index = text.IndexOf(sequence, from, StringComparison.Ordinal);
            if (index < 0) continue;
            var end = index + sequence.Length;
            if (best == null || end < best.End || (end == best.End && sequence.Length > best.Sequence.Length))
                best = new StopSequenceMatch(sequence, index);
        }
        return best;
    }

    /// <summary>The answer up to the match: without the stop sequence, or with it when IncludeStopSequence.</summary>
    public string CutAt(string text, StopSequenceMatch match) =>
        text.Substring(0, IncludeStopSequence ? match.End : match.Index);

    /// <summary>Cuts text at the first stop sequence; returns the text unchanged (and a null match) when there is none.</summary>
    public string Cut(string text, out StopSequenceMatch? match)
    {
        match = FindFirst(text);
        return match == null ? text : CutAt(text, match);
    }

    /// <summary>Length of the longest end of text that could still grow into a stop sequence.</summary>
    public int PendingPrefixLength(string text, int notBefore)
    {
        var longest = 0;
        foreach (var sequence in Sequences)
        {
            var max = Math.Min(sequence.Length - 1, text.Length - notBefore);
            for (var length = max; length > longest; length--)
            {
                if (string.CompareOrdinal(text, text.Length - length, sequence, 0, length) == 0)
                {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}

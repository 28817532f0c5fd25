using System.Globalization;
using System.Text;

namespace BedrockImport.Inference.Tokenization;

/// <summary>A piece of text on its way to the model; <see cref="AtOrigin"/> when it starts at offset 0 of the input.</summary>
internal readonly record struct Piece(string Text, bool AtOrigin);

/// <summary>A tokenizer.json pre-tokenizer: cuts pieces into the pre-tokens the model encodes one at a time.</summary>
internal abstract class PreTokenizer
{
    public abstract void Split(Piece piece, List<Piece> output);

    public static PreTokenizer? Read(CheckedJson node, TokenizerLimits limits, int depth = 0)
    {
        if (node.IsNull) return null;
        if (depth > limits.MaxComponentDepth) throw node.Error("pre-tokenizers nest too deeply");
        var type = node.TypeName();
        switch (type)
        {
            case "ByteLevel":
                return new ByteLevelPreTokenizer(
                    node["add_prefix_space"].GetBool(true),
                    node["use_regex"].GetBool(true) ? new ScalarRegex(ByteLevelPreTokenizer.Gpt2Pattern, limits.RegexTimeout, node.Error) : null);
            case "Split":
                return new SplitPreTokenizer(
                    Pattern.Read(node["pattern"], limits),
                    ReadBehavior(node["behavior"]),
                    node["invert"].GetBool(false));
            case "Metaspace":
                return new MetaspacePreTokenizer(
                    ReadReplacement(node["replacement"]),
                    ReadPrependScheme(node),
                    node["split"].GetBool(true));
            case "Digits":
                return new DigitsPreTokenizer(node["individual_digits"].GetBool(false));
            case "Sequence":
                return new SequencePreTokenizer(node["pretokenizers"].Items(64)
                    .Select(child => Read(child, limits, depth + 1))
                    .Where(child => child is not null)
                    .ToArray()!);
            default:
                throw node.Error($"pre-tokenizer type '{type}' is not supported");
        }
    }

    internal static char ReadReplacement(CheckedJson node)
    {
        var replacement = node.IsNull ? "\u2581" : node.GetString(8);
        if (replacement.Length != 1) throw node.Error("the replacement must be one character");
        return replacement[0];
    }

    internal static PrependScheme ReadPrependScheme(CheckedJson node)
    {
        if (node.Has("prepend_scheme"))
        {
            var scheme = node["prepend_scheme"];
            return scheme.GetString(16) switch
            {
                "always" => PrependScheme.Always,
                "first" => PrependScheme.First,
                "never" => PrependScheme.Never,
                var other => throw scheme.Error($"prepend scheme '{other}' is not one of always, first, never"),
            };
        }
        // Files written before prepend_scheme existed say add_prefix_space.
        return node["add_prefix_space"].GetBool(true) ? PrependScheme.Always : PrependScheme.Never;
    }

    private static SplitBehavior ReadBehavior(CheckedJson node) => node.GetString(32) switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        var other => throw node.Error($"split behavior '{other}' is not supported"),
    };

    /// <summary>
    /// Cuts a piece at the given matches the way the Rust NormalizedString::split does, dropping empty parts.
    /// </summary>
    internal static void SplitAt(Piece piece, List<(int Start, int End)> matches, SplitBehavior behavior, bool invert, List<Piece> output)
    {
        var text = piece.Text;
        // Every part of the text, in order, flagged as a match or not.
        var parts = new List<(int Start, int End, bool IsMatch)>(matches.Count * 2 + 1);
        var previous = 0;
        foreach (var (start, end) in matches)
        {
            if (previous < start) parts.Add((previous, start, invert));
            parts.Add((start, end, !invert));
            previous = end;
        }
        if (previous < text.Length) parts.Add((previous, text.Length, invert));

        var merged = new List<(int Start, int End)>(parts.Count);
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                merged.AddRange(parts.Select(part => (part.Start, part.End)));
                break;
            case SplitBehavior.Removed:
                merged.AddRange(parts.Where(part => !part.IsMatch).Select(part => (part.Start, part.End)));
                break;
            case SplitBehavior.Contiguous:
            {
                var previousMatch = false;
                foreach (var part in parts)
                {
                    if (part.IsMatch && previousMatch && merged.Count > 0)
                    {
                        merged[^1] = (merged[^1].Start, part.End);
                    }
                    else
                    {
                        merged.Add((part.Start, part.End));
                    }
                    previousMatch = part.IsMatch;
                }
                break;
            }
            case SplitBehavior.MergedWithPrevious:
            {
                var previousMatch = false;
                foreach (var part in parts)
                {
                    if (part.IsMatch && !previousMatch && merged.Count > 0)
                    {
                        merged[^1] = (merged[^1].Start, part.End);
                    }
                    else
                    {
                        merged.Add((part.Start, part.End));
                    }
                    previousMatch = part.IsMatch;
                }
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                var previousMatch = false;
                for (var i = parts.Count - 1; i >= 0; i--)
                {
                    var part = parts[i];
                    if (part.IsMatch && !previousMatch && merged.Count > 0)
                    {
                        merged[^1] = (part.Start, merged[^1].End);
                    }
                    else
                    {
                        merged.Add((part.Start, part.End));
                    }
                    previousMatch = part.IsMatch;
                }
                merged.Reverse();
                break;
            }
        }
        foreach (var (start, end) in merged)
        {
            if (end > start)
            {
                output.Add(new Piece(text.Substring(start, end - start), piece.AtOrigin && start == 0));
            }
        }
    }
}

internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

internal enum PrependScheme { Always, First, Never }

internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, ScalarRegex? gpt2Regex) : PreTokenizer
{
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public override void Split(Piece piece, List<Piece> output)
    {
        if (addPrefixSpace && piece.Text.Length > 0 && piece.Text[0] != ' ')
        {
            piece = piece with { Text = " " + piece.Text };
        }
        var start = output.Count;
        if (gpt2Regex is null)
        {
            if (piece.Text.Length > 0) output.Add(piece);
        }
        else
        {
            SplitAt(piece, gpt2Regex.Matches(piece.Text), SplitBehavior.Isolated, invert: false, output);
        }
        for (var i = start; i < output.Count; i++)
        {
            output[i] = output[i] with { Text = ByteLevelAlphabet.Encode(output[i].Text) };
        }
    }
}

internal sealed class SplitPreTokenizer(Pattern pattern, SplitBehavior behavior, bool invert) : PreTokenizer
{
    public override void Split(Piece piece, List<Piece> output) =>
        SplitAt(piece, pattern.Matches(piece.Text), behavior, invert, output);
}

internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split) : PreTokenizer
{
    public override void Split(Piece piece, List<Piece> output)
    {
        var text = piece.Text.Replace(' ', replacement);
        var prepend = text.Length > 0 && text[0] != replacement
            && (scheme == PrependScheme.Always || (scheme == PrependScheme.First && piece.AtOrigin));
        if (prepend) text = replacement + text;
        piece = piece with { Text = text };
        if (!split)
        {
            if (text.Length > 0) output.Add(piece);
            return;
        }
        var matches = new List<(int, int)>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == replacement) matches.Add((i, i + 1));
        }
        SplitAt(piece, matches, SplitBehavior.MergedWithNext, invert: false, output);
    }
}

internal sealed class DigitsPreTokenizer(bool individualDigits) : PreTokenizer
{
    public override void Split(Piece piece, List<Piece> output)
    {
        var text = piece.Text;
        var matches = new List<(int, int)>();
        for (var i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var length);
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber)
            {
                matches.Add((i, i + length));
            }
            i += length;
        }
        SplitAt(piece, matches, individualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous, invert: false, output);
    }
}

internal sealed class SequencePreTokenizer(PreTokenizer[] preTokenizers) : PreTokenizer
{
    public override void Split(Piece piece, List<Piece> output)
    {
        var current = new List<Piece> { piece };
        var next = new List<Piece>();
        foreach (var preTokenizer in preTokenizers)
        {
            next.Clear();
            foreach (var part in current)
            {
                preTokenizer.Split(part, next);
            }
            (current, next) = (next, current);
        }
        output.AddRange(current);
    }
}

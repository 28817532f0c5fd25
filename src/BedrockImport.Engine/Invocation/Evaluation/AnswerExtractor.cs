using System.Globalization;
using System.Text;

namespace BedrockImport.Engine.Invocation.Evaluation;

/// <summary>Which rule turned a completion into a choice (tried in this order).</summary>
public enum AnswerRule
{
    /// <summary>The text inside &lt;answer&gt;…&lt;/answer&gt; (the close tag may be cut off by the stop sequence) is a choice's text exactly.</summary>
    AnswerTag,

    /// <summary>The answer is a choice index: "2", "２", "choice2", "choice 2", "(2)", "（２）".</summary>
    ChoiceIndex,

    /// <summary>Without tags, the first non-empty line is a choice's text exactly (ends trimmed).</summary>
    ExactText,

    /// <summary>Equal to exactly one choice after NFKC (full-width/half-width), removing all white space (U+3000 included)
    /// and surrounding quotes, brackets and punctuation.</summary>
    Normalized,

    /// <summary>Nothing matched, or more than one choice matched: counted as Unparsed, never as an answer.</summary>
    Unparsed,
}

/// <summary>The answer read from a completion.</summary>
public sealed class ExtractedAnswer
{
    public ExtractedAnswer(string? text, int? choiceIndex, AnswerRule rule)
    {
        Text = text;
        ChoiceIndex = choiceIndex;
        Rule = rule;
    }

    /// <summary>The candidate answer text (tag content or first non-empty line), trimmed; null for an empty completion.</summary>
    public string? Text { get; }

    /// <summary>The chosen index, null when <see cref="Rule"/> is Unparsed.</summary>
    public int? ChoiceIndex { get; }
    public AnswerRule Rule { get; }
}

/// <summary>Reads which choice a completion names; see <see cref="AnswerRule"/> for the rules and their order.</summary>
public static class AnswerExtractor
{
    public const string OpenTag = "<answer>";
    public const string CloseTag = "</answer>";
    private const string SurroundingPunctuation = "「」『』\"'“”‘’`()（）[]［］【】〈〉《》<>＜＞。、．，.,!?！？:：;；・*＊";

    public static ExtractedAnswer Extract(string? completion, IReadOnlyList<string> choices)
    {
        if (choices == null) throw new ArgumentNullException(nameof(choices));
        var (candidate, tagged) = Candidate(completion ?? "");
        if (candidate == null) return new ExtractedAnswer(null, null, AnswerRule.Unparsed);

        if (tagged && Unique(choices, c => string.Equals(c.Trim(), candidate, StringComparison.Ordinal)) is int tagMatch)
            return new ExtractedAnswer(candidate, tagMatch, AnswerRule.AnswerTag);
        if (IndexOf(candidate, choices.Count) is int index) return new ExtractedAnswer(candidate, index, AnswerRule.ChoiceIndex);
        if (!tagged && Unique(choices, c => string.Equals(c.Trim(), candidate, StringComparison.Ordinal)) is int exact)
            return new ExtractedAnswer(candidate, exact, AnswerRule.ExactText);
        var normalized = Normalize(candidate);
        if (normalized.Length > 0 && Unique(choices, c => Normalize(c) == normalized) is int loose)
            return new ExtractedAnswer(candidate, loose, AnswerRule.Normalized);
        return new ExtractedAnswer(candidate, null, AnswerRule.Unparsed);
    }

    /// <summary>NFKC, no white space, surrounding quotes/brackets/punctuation removed.</summary>
    public static string Normalize(string text)
    {
        var folded = (text ?? "").Normalize(NormalizationForm.FormKC);
        var builder = new StringBuilder(folded.Length);
        foreach (var c in folded)
            if (!char.IsWhiteSpace(c)) builder.Append(c);
        return builder.ToString().Trim(SurroundingPunctuation.ToCharArray());
    }

    private static (string? Candidate, bool Tagged) Candidate(string completion)
    {
        var open = completion.IndexOf(OpenTag, StringComparison.Ordinal);
        string text;
        var tagged = open >= 0;
        if (tagged)
        {
            var start = open + OpenTag.Length;
            var close = completion.IndexOf(CloseTag, start, StringComparison.Ordinal);
            text = close >= 0 ? completion.Substring(start, close - start) : FirstNonEmptyLine(completion.Substring(start));
        }
        else
        {
            var close = completion.IndexOf(CloseTag, StringComparison.Ordinal);
            text = FirstNonEmptyLine(close >= 0 ? completion.Substring(0, close) : completion);
        }
        text = text.Trim();
        return (text.Length == 0 ? null : text, tagged);
    }

    private static string FirstNonEmptyLine(string text)
    {
        foreach (var line in text.Split('\n'))
            if (line.Trim().Length > 0) return line;
        return "";
    }

    private static int? IndexOf(string candidate, int count)
    {
        var text = Normalize(candidate);
        if (text.StartsWith("choice", StringComparison.OrdinalIgnoreCase)) text = text.Substring("choice".Length);
        text = text.Trim(SurroundingPunctuation.ToCharArray());
        if (text.Length == 0 || text.Length > 3) return null;
        foreach (var c in text)
            if (c < '0' || c > '9') return null;
        var index = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        return index < count ? index : null;
    }

    private static int? Unique(IReadOnlyList<string> choices, Func<string, bool> matches)
    {
        int? found = null;
        for (var i = 0; i < choices.Count; i++)
        {
            if (!matches(choices[i])) continue;
            if (found != null) return null;
            found = i;
        }
        return found;
    }
}

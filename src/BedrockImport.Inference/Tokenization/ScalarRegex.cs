using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace BedrockImport.Inference.Tokenization;

/// <summary>
/// A split pattern from tokenizer.json matched the way the Rust tokenizers (Oniguruma over UTF-8) match it: one code
/// point is one character. .NET matches UTF-16 code units, so a character outside the BMP (𠮷, 🎉) is two surrogates
/// that <c>\p{L}</c> or <c>\p{So}</c> never match and <c>.</c> counts twice. Before matching, each surrogate pair is
/// replaced by one BMP stand-in of the same Unicode general category (none of them white space or ASCII), and the
/// match offsets are mapped back to the original text.
/// </summary>
internal sealed class ScalarRegex
{
    private readonly Regex regex;

    public ScalarRegex(string pattern, TimeSpan timeout, Func<string, TokenizerFormatException> error)
    {
        try
        {
            regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, timeout);
        }
        catch (ArgumentException ex)
        {
            throw error($"the pattern is not a regular expression .NET can run: {ex.Message}");
        }
    }

    public static ScalarRegex Literal(string text, TimeSpan timeout, Func<string, TokenizerFormatException> error) =>
        new(Regex.Escape(text), timeout, error);

    /// <summary>The (start, end) UTF-16 offsets of each match in the original text.</summary>
    public List<(int Start, int End)> Matches(string text)
    {
        var result = new List<(int, int)>();
        if (!HasSurrogates(text))
        {
            for (var match = regex.Match(text); match.Success; match = match.NextMatch())
            {
                result.Add((match.Index, match.Index + match.Length));
            }
            return result;
        }

        // originalOffset[i] is where stand-in character i starts in the text; one extra entry for the end.
        var standIn = new StringBuilder(text.Length);
        var originalOffset = new List<int>(text.Length + 1);
        for (var i = 0; i < text.Length; i++)
        {
            originalOffset.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                standIn.Append(StandInFor(Rune.GetUnicodeCategory(new Rune(text[i], text[i + 1]))));
                i++;
            }
            else
            {
                standIn.Append(text[i]);
            }
        }
        originalOffset.Add(text.Length);
        for (var match = regex.Match(standIn.ToString()); match.Success; match = match.NextMatch())
        {
            result.Add((originalOffset[match.Index], originalOffset[match.Index + match.Length]));
        }
        return result;
    }

    private static bool HasSurrogates(string text)
    {
        foreach (var c in text)
        {
            if (char.IsSurrogate(c)) return true;
        }
        return false;
    }

    private static char StandInFor(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter => '\u0531',
        UnicodeCategory.LowercaseLetter => '\u0561',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\u02B0',
        UnicodeCategory.OtherLetter => '\u05D0',
        UnicodeCategory.NonSpacingMark => '\u0300',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\u0660',
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u00B2',
        UnicodeCategory.ConnectorPunctuation => '\u203F',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u2039',
        UnicodeCategory.FinalQuotePunctuation => '\u203A',
        UnicodeCategory.OtherPunctuation => '\u203B',
        UnicodeCategory.MathSymbol => '\u2208',
        UnicodeCategory.CurrencySymbol => '\u20A0',
        UnicodeCategory.ModifierSymbol => '\u02C2',
        UnicodeCategory.OtherSymbol => '\u2318',
        UnicodeCategory.Format => '\u2061',
        UnicodeCategory.PrivateUse => '\uE000',
        _ => '\u0378', // unassigned
    };
}

using System.Text;

namespace BedrockImport.Inference.Tokenization;

/// <summary>A tokenizer.json normalizer: rewrites a piece of text (between added tokens) before pre-tokenization.</summary>
internal abstract class Normalizer
{
    public abstract string Normalize(string text);

    public static Normalizer? Read(CheckedJson node, TokenizerLimits limits, int depth = 0)
    {
        if (node.IsNull) return null;
        if (depth > limits.MaxComponentDepth) throw node.Error("normalizers nest too deeply");
        var type = node.TypeName();
        switch (type)
        {
            case "NFC": return new UnicodeNormalizer(NormalizationForm.FormC);
            case "NFD": return new UnicodeNormalizer(NormalizationForm.FormD);
            case "NFKC": return new UnicodeNormalizer(NormalizationForm.FormKC);
            case "NFKD": return new UnicodeNormalizer(NormalizationForm.FormKD);
            case "Lowercase": return new LowercaseNormalizer();
            case "Prepend": return new PrependNormalizer(node["prepend"].GetString(limits.MaxTokenLength));
            case "Replace":
                return new ReplaceNormalizer(
                    Pattern.Read(node["pattern"], limits),
                    node["content"].GetString(limits.MaxTokenLength));
            case "Strip":
                return new StripNormalizer(node["strip_left"].GetBool(true), node["strip_right"].GetBool(true));
            case "Sequence":
                return new SequenceNormalizer(node["normalizers"].Items(64)
                    .Select(child => Read(child, limits, depth + 1))
                    .Where(child => child is not null)
                    .ToArray()!);
            default:
                throw node.Error($"normalizer type '{type}' is not supported");
        }
    }
}

internal sealed class UnicodeNormalizer(NormalizationForm form) : Normalizer
{
    public override string Normalize(string text)
    {
        try
        {
            return text.Normalize(form);
        }
        catch (ArgumentException)
        {
            // Text with a lone surrogate cannot be normalized; leave it as it is rather than failing the request.
            return text;
        }
    }
}

internal sealed class LowercaseNormalizer : Normalizer
{
    public override string Normalize(string text) => text.ToLowerInvariant();
}

internal sealed class PrependNormalizer(string prefix) : Normalizer
{
    public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;
}

internal sealed class ReplaceNormalizer(Pattern pattern, string content) : Normalizer
{
    public override string Normalize(string text) => pattern.Replace(text, content);
}

internal sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override string Normalize(string text) => (left, right) switch
    {
        (true, true) => text.Trim(),
        (true, false) => text.TrimStart(),
        (false, true) => text.TrimEnd(),
        _ => text,
    };
}

internal sealed class SequenceNormalizer(Normalizer[] normalizers) : Normalizer
{
    public override string Normalize(string text)
    {
        foreach (var normalizer in normalizers)
        {
            text = normalizer.Normalize(text);
        }
        return text;
    }
}

/// <summary>A tokenizer.json pattern: <c>{"String": "..."}</c> (literal) or <c>{"Regex": "..."}</c>.</summary>
internal sealed class Pattern
{
    private Pattern(string? literal, ScalarRegex? regex)
    {
        Literal = literal;
        Regex = regex;
    }

    public string? Literal { get; }
    public ScalarRegex? Regex { get; }

    public static Pattern Read(CheckedJson node, TokenizerLimits limits)
    {
        if (node.Has("String"))
        {
            var literal = node["String"].GetString(limits.MaxTokenLength);
            return new Pattern(literal, literal.Length == 0 ? null : ScalarRegex.Literal(literal, limits.RegexTimeout, node.Error));
        }
        if (node.Has("Regex"))
        {
            var regexNode = node["Regex"];
            return new Pattern(null, new ScalarRegex(regexNode.GetString(limits.MaxTokenLength), limits.RegexTimeout, regexNode.Error));
        }
        throw node.Error("expected a pattern {\"String\": ...} or {\"Regex\": ...}");
    }

    /// <summary>The matches of the pattern in the text, as (start, end) offsets.</summary>
    public List<(int Start, int End)> Matches(string text) => Regex?.Matches(text) ?? new List<(int, int)>();

    public string Replace(string text, string content)
    {
        if (Literal is not null)
        {
            return Literal.Length == 0 ? text : text.Replace(Literal, content, StringComparison.Ordinal);
        }
        var matches = Matches(text);
        if (matches.Count == 0) return text;
        var builder = new StringBuilder(text.Length);
        var last = 0;
        foreach (var (start, end) in matches)
        {
            builder.Append(text, last, start - last).Append(content);
            last = end;
        }
        return builder.Append(text, last, text.Length - last).ToString();
    }
}

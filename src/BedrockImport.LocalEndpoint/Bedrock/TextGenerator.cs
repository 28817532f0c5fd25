using System.Text;
using System.Text.Json;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>The result of one generation: the emitted token pieces and why generation ended.</summary>
internal sealed record Generation(IReadOnlyList<string> Tokens, bool HitMaxTokens, int PromptTokens)
{
    public string Text => string.Concat(Tokens);
}

/// <summary>
/// The local endpoint's deterministic stand-in for a model (README text):
/// <list type="bullet">
/// <item>Tokens are pieces of text: a run of up to 6 ASCII letters or digits, or any other single non-space character
/// (so each Japanese character is one token); whitespace belongs to the token after it. Prompt and output token counts use this rule.</item>
/// <item>The answer to a prompt is, in this order: the response of the model folder's responses.jsonl whose "prompt" equals
/// the prompt; else the one whose "contains" text occurs latest in the prompt (so in a few-shot prompt the question asked
/// last wins); else 8 to 40 words drawn from a fixed list by a generator seeded with (knob Seed, prompt). The same seed and
/// prompt always give the same answer; temperature, top_p and top_k are ignored.</item>
/// <item>If the prompt uses the &lt;answer&gt; pattern (JCommonsenseQA style) and the answer lacks the tags, it is wrapped as
/// &lt;answer&gt;…&lt;/answer&gt; (only the closing tag when the prompt already ends with &lt;answer&gt;).</item>
/// <item>When the request has stop sequences, the model "keeps talking" after its answer: the first stop sequence
/// (unless the answer already holds one) and 200 more pseudo-random tokens follow. The output is cut before the earliest
/// stop sequence, unless the IgnoreStop knob is on (the field-report bug), and at the request's max tokens
/// (reason "length"; otherwise "stop").</item>
/// <item>A request constrained to choices (structured_outputs.choice, <see cref="GenerateChoice"/>) answers exactly one
/// of them: the answer above without &lt;answer&gt; tags if it is a choice (exactly, else after NFKC and white-space
/// removal), else one picked by a generator seeded with (Seed, prompt). No tags and no continuation are added.</item>
/// </list>
/// </summary>
internal static class TextGenerator
{
    private const int MaxPieceLength = 6;
    private const int ContinuationTokens = 200;

    private static readonly string[] Words =
    {
        "the", "model", "answer", "is", "a", "local", "endpoint", "token", "bedrock", "import", "custom", "value",
        "simple", "result", "data", "shows", "that", "this", "we", "can", "see", "good", "small", "test",
        "and", "of", "to", "in", "for", "with", "on", "it", "as", "be", "by", "from", "each", "one",
        "question", "choice", "weights", "layer", "context", "stream", "chunk", "reply", "text", "deterministic",
    };

    public static IReadOnlyList<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) current.Append(text[i++]);
            if (i >= text.Length) break;
            if (IsWordChar(text[i]))
            {
                var start = i;
                while (i < text.Length && IsWordChar(text[i]) && i - start < MaxPieceLength) current.Append(text[i++]);
            }
            else if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length)
            {
                current.Append(text[i++]).Append(text[i++]);
            }
            else
            {
                current.Append(text[i++]);
            }
            tokens.Add(current.ToString());
            current.Clear();
        }
        if (current.Length > 0) tokens.Add(current.ToString());
        return tokens;
    }

    private static bool IsWordChar(char c) => c < 128 && char.IsLetterOrDigit(c);

    public static Generation Generate(int seed, string prompt, int maxTokens, IReadOnlyList<string> stops, bool ignoreStop, ResponseBook? responses, int promptTokens)
    {
        var random = new Random(Hash(seed, prompt));
        var answer = responses?.Find(prompt) ?? PseudoText(random, random.Next(8, 41));
        answer = WrapAnswerTags(prompt, answer);

        var full = answer;
        var realStops = stops.Where(s => s.Length > 0).ToList();
        if (realStops.Count > 0)
        {
            if (!realStops.Any(s => full.Contains(s, StringComparison.Ordinal))) full += realStops[0];
            full += "\n" + PseudoText(random, ContinuationTokens);
        }

        if (!ignoreStop && realStops.Count > 0)
        {
            var cut = realStops.Select(s => full.IndexOf(s, StringComparison.Ordinal)).Where(p => p >= 0).DefaultIfEmpty(-1).Min();
            if (cut >= 0) full = full.Substring(0, cut);
        }

        var tokens = Tokenize(full);
        var hitMax = tokens.Count > maxTokens;
        return new Generation(hitMax ? tokens.Take(maxTokens).ToList() : tokens, hitMax, promptTokens);
    }

    /// <summary>The answer of a request constrained to <paramref name="choices"/> (vLLM's structured_outputs.choice): the
    /// choice the unconstrained answer names, else the seeded pick. Stop sequences and max tokens cut it as usual.</summary>
    public static Generation GenerateChoice(int seed, string prompt, IReadOnlyList<string> choices, int maxTokens, IReadOnlyList<string> stops,
        bool ignoreStop, ResponseBook? responses, int promptTokens)
    {
        var random = new Random(Hash(seed, prompt));
        var answer = responses?.Find(prompt) ?? PseudoText(random, random.Next(8, 41));
        var text = MatchChoice(StripAnswerTags(answer).Trim(), choices) ?? choices[new Random(Hash(seed, "choice\n" + prompt)).Next(choices.Count)];

        if (!ignoreStop)
        {
            var cut = stops.Where(s => s.Length > 0).Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(p => p >= 0).DefaultIfEmpty(-1).Min();
            if (cut >= 0) text = text.Substring(0, cut);
        }

        var tokens = Tokenize(text);
        var hitMax = tokens.Count > maxTokens;
        return new Generation(hitMax ? tokens.Take(maxTokens).ToList() : tokens, hitMax, promptTokens);
    }

    /// <summary>The choice equal to <paramref name="answer"/>: ordinal first, then with both sides NFKC-normalised and
    /// stripped of white space (so "ＡＢ" or "社 長" still name "AB" or "社長"); null when none is.</summary>
    internal static string? MatchChoice(string answer, IReadOnlyList<string> choices)
    {
        foreach (var choice in choices)
            if (string.Equals(choice, answer, StringComparison.Ordinal))
                return choice;
        var loose = Loose(answer);
        if (loose.Length == 0) return null;
        foreach (var choice in choices)
            if (string.Equals(Loose(choice), loose, StringComparison.Ordinal))
                return choice;
        return null;
    }

    private static string Loose(string text)
    {
        var normalized = text.Normalize(NormalizationForm.FormKC);
        var compact = new StringBuilder(normalized.Length);
        foreach (var c in normalized)
            if (!char.IsWhiteSpace(c)) compact.Append(c);
        return compact.ToString();
    }

    private static string StripAnswerTags(string answer) =>
        answer.Replace("<answer>", "", StringComparison.Ordinal).Replace("</answer>", "", StringComparison.Ordinal);

    private static string WrapAnswerTags(string prompt, string answer)
    {
        if (!prompt.Contains("<answer>", StringComparison.Ordinal) || answer.Contains("</answer>", StringComparison.Ordinal))
            return answer;
        return prompt.TrimEnd().EndsWith("<answer>", StringComparison.Ordinal) ? answer + "</answer>" : "<answer>" + answer + "</answer>";
    }

    private static string PseudoText(Random random, int wordCount)
    {
        var text = new StringBuilder();
        var sentenceLength = 0;
        for (var w = 0; w < wordCount; w++)
        {
            var word = Words[random.Next(Words.Length)];
            if (sentenceLength == 0) word = char.ToUpperInvariant(word[0]) + word.Substring(1);
            if (text.Length > 0) text.Append(' ');
            text.Append(word);
            sentenceLength++;
            if (sentenceLength >= 6 && random.Next(4) == 0 || w == wordCount - 1)
            {
                text.Append('.');
                sentenceLength = 0;
            }
        }
        return text.ToString();
    }

    // FNV-1a over the seed and the prompt: stable across processes (string.GetHashCode is not).
    private static int Hash(int seed, string prompt)
    {
        var h = 2166136261u ^ (uint)seed;
        foreach (var c in prompt)
        {
            h = (h ^ c) * 16777619u;
        }
        return (int)(h & 0x7FFFFFFF);
    }
}

/// <summary>Fixed answers from a model folder's responses.jsonl: one JSON object per line,
/// {"prompt": "exact prompt", "response": "..."} or {"contains": "text in the prompt", "response": "..."}.</summary>
internal sealed class ResponseBook
{
    public const string FileName = "responses.jsonl";

    private readonly List<(string? Prompt, string? Contains, string Response)> _entries = new();
    private ResponseBook? _fallback;

    /// <summary>The entries of this book (not of its fallback).</summary>
    public int Count => _entries.Count;

    /// <summary>This book's entries, asked first, then <paramref name="fallback"/> when none of them answers.</summary>
    public ResponseBook Then(ResponseBook fallback)
    {
        var combined = new ResponseBook { _fallback = fallback };
        combined._entries.AddRange(_entries);
        return combined;
    }

    public static ResponseBook Parse(string jsonl)
    {
        var book = new ResponseBook();
        foreach (var line in jsonl.Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("response", out var response) || response.ValueKind != JsonValueKind.String)
                    continue;
                var prompt = root.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
                var contains = root.TryGetProperty("contains", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                if (prompt is null && string.IsNullOrEmpty(contains)) continue;
                book._entries.Add((prompt, contains, response.GetString()!));
            }
            catch (JsonException)
            {
                // A malformed line is skipped; the others still answer.
            }
        }
        return book;
    }

    public string? Find(string prompt) => FindOwn(prompt) ?? _fallback?.Find(prompt);

    private string? FindOwn(string prompt)
    {
        foreach (var entry in _entries)
            if (entry.Prompt is not null && entry.Prompt.Trim() == prompt.Trim())
                return entry.Response;
        string? best = null;
        var bestPosition = -1;
        var bestLength = 0;
        foreach (var entry in _entries)
        {
            if (entry.Contains is null) continue;
            var position = prompt.LastIndexOf(entry.Contains, StringComparison.Ordinal);
            if (position > bestPosition || position >= 0 && position == bestPosition && entry.Contains.Length > bestLength)
            {
                bestPosition = position;
                bestLength = entry.Contains.Length;
                best = entry.Response;
            }
        }
        return best;
    }
}

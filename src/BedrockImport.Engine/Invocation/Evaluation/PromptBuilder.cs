using System.Security.Cryptography;
using System.Text;

namespace BedrockImport.Engine.Invocation.Evaluation;

/// <summary>How the prompt goes to the model: one text (completion models) or system/user/assistant messages
/// (chat templates, Converse).</summary>
public enum PromptStyle
{
    Text,
    Messages,
}

/// <summary>One chat message.</summary>
public sealed class PromptMessage
{
    public PromptMessage(string role, string content)
    {
        Role = role;
        Content = content;
    }

    /// <summary>"system", "user" or "assistant".</summary>
    public string Role { get; }
    public string Content { get; }
}

/// <summary>The prompt for one item: the text, or the messages when the style is Messages.</summary>
public sealed class EvaluationPrompt
{
    public EvaluationPrompt(string text, IReadOnlyList<PromptMessage> messages, string hash)
    {
        Text = text;
        Messages = messages;
        Hash = hash;
    }

    /// <summary>Text style: the whole prompt. Messages style: the last user message.</summary>
    public string Text { get; }
    public IReadOnlyList<PromptMessage> Messages { get; }

    /// <summary>SHA-256 (hex, first 16 characters) of the exact text or messages sent.</summary>
    public string Hash { get; }
}

/// <summary>Builds prompts for multiple-choice items.
/// <para>Template syntax: <c>{question}</c>, <c>{choice0}</c>…<c>{choiceN}</c>, <c>{choices}</c> (lines
/// "choiceN: text" joined by "\n"), <c>{examples}</c> (the worked examples, each ending in "\n\n", preceded by
/// "### 例 ###\n" when there is any); <c>{{</c> and <c>}}</c> are literal braces. Any other placeholder is an error.</para>
/// <para>Examples: the first <c>shots</c> items of the pool in pool order, skipping any with the item's id or
/// identical question, so every model sees the same examples for an item.</para></summary>
public sealed class PromptBuilder
{
    /// <summary>The field report's 1-shot prompt.</summary>
    public const string DefaultTemplate = "{examples}質問: {question}\n{choices}\n回答:";

    /// <summary>The system message of the Messages style unless one is given.</summary>
    public const string DefaultSystemMessage = "質問に対して、choice の中から正しいものを一つ選び、<answer></answer> タグの中にその選択肢の文字列だけを書いてください。";

    /// <summary>The report's example question (its answer is choice 2, マザーボード).</summary>
    public static MultipleChoiceItem DefaultExample { get; } = new(
        "0", "電子機器で使用される最も主要な電子回路基板の事をなんと言う？",
        new[] { "掲示板", "パソコン", "マザーボード", "ハードディスク", "まな板" }, 2);

    private readonly IReadOnlyList<MultipleChoiceItem> _pool;

    public PromptBuilder(string? template = null, int shots = 1, IEnumerable<MultipleChoiceItem>? examplePool = null,
        PromptStyle style = PromptStyle.Text, string? systemMessage = null)
    {
        if (shots < 0) throw new ArgumentOutOfRangeException(nameof(shots), shots, "Shots is 0 or more.");
        Template = template ?? DefaultTemplate;
        Validate(Template);
        Shots = shots;
        _pool = (examplePool ?? new[] { DefaultExample }).ToList();
        Style = style;
        SystemMessage = systemMessage ?? DefaultSystemMessage;
        Fingerprint = Hash("template\0" + Template + "\0shots\0" + shots + "\0style\0" + style + "\0system\0" + (style == PromptStyle.Messages ? SystemMessage : "") +
            "\0pool\0" + string.Join("\0", _pool.Select(e => e.Id + "\u0001" + e.Question + "\u0001" + string.Join("\u0001", e.Choices) + "\u0001" + e.Label)));
    }

    public string Template { get; }
    public int Shots { get; }
    public PromptStyle Style { get; }
    public string SystemMessage { get; }

    /// <summary>A hash of everything that shapes the prompts (template, shots, pool, style, system message); part of the run key.</summary>
    public string Fingerprint { get; }

    /// <summary>The examples for an item (never the item itself).</summary>
    public IReadOnlyList<MultipleChoiceItem> ExamplesFor(MultipleChoiceItem item) =>
        _pool.Where(e => e.Id != item.Id && e.Question != item.Question).Take(Shots).ToList();

    public EvaluationPrompt Build(MultipleChoiceItem item)
    {
        if (item == null) throw new ArgumentNullException(nameof(item));
        var examples = ExamplesFor(item);
        if (Style == PromptStyle.Text)
        {
            var exampleText = new StringBuilder();
            if (examples.Count > 0) exampleText.Append("### 例 ###\n");
            foreach (var example in examples) exampleText.Append(Render(example, "")).Append(' ').Append(Answer(example)).Append("\n\n");
            var text = Render(item, exampleText.ToString());
            return new EvaluationPrompt(text, new[] { new PromptMessage("user", text) }, Hash(text));
        }
        var messages = new List<PromptMessage> { new("system", SystemMessage) };
        foreach (var example in examples)
        {
            messages.Add(new PromptMessage("user", Render(example, "")));
            messages.Add(new PromptMessage("assistant", Answer(example)));
        }
        var user = Render(item, "");
        messages.Add(new PromptMessage("user", user));
        return new EvaluationPrompt(user, messages, Hash(string.Join("\0", messages.Select(m => m.Role + "\u0001" + m.Content))));
    }

    private static string Answer(MultipleChoiceItem example) => AnswerExtractor.OpenTag + example.CorrectChoice + AnswerExtractor.CloseTag;

    private string Render(MultipleChoiceItem item, string examples)
    {
        var output = new StringBuilder();
        Walk(Template, literal => output.Append(literal), name =>
        {
            if (name == "question") output.Append(item.Question);
            else if (name == "examples") output.Append(examples);
            else if (name == "choices") output.Append(string.Join("\n", item.Choices.Select((c, i) => "choice" + i + ": " + c)));
            else
            {
                var index = int.Parse(name.Substring("choice".Length), System.Globalization.CultureInfo.InvariantCulture);
                if (index < item.Choices.Count) output.Append(item.Choices[index]);
            }
        });
        return output.ToString();
    }

    private static void Validate(string template) => Walk(template, _ => { }, name =>
    {
        var known = name is "question" or "choices" or "examples" ||
            (name.StartsWith("choice", StringComparison.Ordinal) && name.Length > 6 && name.Length < 10 && name.Substring(6).All(c => c >= '0' && c <= '9'));
        if (!known) throw new FormatException("Unknown placeholder {" + name + "} in the prompt template; use {question}, {choices}, {choice0}…, {examples}, or {{ }} for braces.");
    });

    private static void Walk(string template, Action<string> literal, Action<string> placeholder)
    {
        var i = 0;
        while (i < template.Length)
        {
            var c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c) { literal(c.ToString()); i += 2; continue; }
            if (c == '{')
            {
                var close = template.IndexOf('}', i + 1);
                if (close < 0) throw new FormatException("Unclosed '{' at position " + i + " of the prompt template.");
                placeholder(template.Substring(i + 1, close - i - 1));
                i = close + 1;
                continue;
            }
            if (c == '}') throw new FormatException("Unmatched '}' at position " + i + " of the prompt template; write }} for a brace.");
            literal(c.ToString());
            i++;
        }
    }

    internal static string Hash(string text)
    {
        using var sha = SHA256.Create();
        var bytes = sha.ComputeHash(Encoding.UTF8.GetBytes(text));
        return string.Concat(bytes.Take(8).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }
}

/// <summary>An estimate of a prompt's token count when the model's tokenizer is not at hand (-WhatIf): one token per
/// CJK, kana or other non-Latin character (what Llama 3, Qwen and most multilingual vocabularies come close to for
/// Japanese), one per four other characters. It says how big a run is, not what the service will bill.</summary>
public static class PromptTokenEstimate
{
    public static long Of(EvaluationPrompt prompt) => prompt.Messages.Sum(m => Of(m.Content) + 4);

    public static long Of(string text)
    {
        long wide = 0, narrow = 0;
        foreach (var c in text ?? "")
        {
            if (char.IsLowSurrogate(c)) continue;
            if (c < 0x0370) narrow++;
            else wide++;
        }
        return wide + (narrow + 3) / 4;
    }
}

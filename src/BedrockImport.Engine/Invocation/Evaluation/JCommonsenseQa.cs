using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BedrockImport.Engine.Invocation.Evaluation;

/// <summary>One JCommonsenseQA record (JGLUE JSON Lines: q_id, question, choice0..choice4, label).</summary>
public sealed class JCommonsenseQaItem
{
    public JCommonsenseQaItem(long questionId, string question, IReadOnlyList<string> choices, int label)
    {
        if (choices == null || choices.Count != JCommonsenseQa.ChoiceCount)
            throw new ArgumentException("A JCommonsenseQA item has exactly " + JCommonsenseQa.ChoiceCount + " choices.", nameof(choices));
        if (label < 0 || label >= JCommonsenseQa.ChoiceCount)
            throw new ArgumentOutOfRangeException(nameof(label), label, "The label is the index of the correct choice, 0 to 4.");
        QuestionId = questionId;
        Question = question ?? throw new ArgumentNullException(nameof(question));
        Choices = choices;
        Label = label;
    }

    public long QuestionId { get; }
    public string Question { get; }
    public IReadOnlyList<string> Choices { get; }
    public int Label { get; }
    public string CorrectChoice => Choices[Label];

    /// <summary>Reads one JSON Lines record.</summary>
    /// <exception cref="FormatException">A field is missing or has the wrong type.</exception>
    public static JCommonsenseQaItem FromJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var choices = new string[JCommonsenseQa.ChoiceCount];
            for (var i = 0; i < choices.Length; i++) choices[i] = root.GetProperty("choice" + i).GetString() ?? "";
            return new JCommonsenseQaItem(root.GetProperty("q_id").GetInt64(), root.GetProperty("question").GetString() ?? "", choices, root.GetProperty("label").GetInt32());
        }
        catch (Exception e) when (e is JsonException || e is KeyNotFoundException || e is InvalidOperationException || e is ArgumentException)
        {
            throw new FormatException("Not a JCommonsenseQA record (q_id, question, choice0..choice4, label): " + e.Message, e);
        }
    }
}

/// <summary>The answer read from a completion.</summary>
public sealed class JCommonsenseQaAnswer
{
    internal JCommonsenseQaAnswer(string? text, int? choiceIndex, bool isCorrect)
    {
        Text = text;
        ChoiceIndex = choiceIndex;
        IsCorrect = isCorrect;
    }

    /// <summary>The extracted answer text (inside &lt;answer&gt;, or the first line), trimmed; null when the completion was empty.</summary>
    public string? Text { get; }

    /// <summary>The choice it names (by text or by index), or null when it names none.</summary>
    public int? ChoiceIndex { get; }

    /// <summary>Exact match: the named choice is the labelled one.</summary>
    public bool IsCorrect { get; }
}

/// <summary>The 1-shot generation protocol of the field report (000): an example in "### 例 ###" form, the
/// question with choice0..choice4, "回答:", and the answer wrapped in &lt;answer&gt;...&lt;/answer&gt; with stop
/// sequence &lt;/answer&gt;. Scored by exact match on the extracted answer ("1-shot, generation, EM").</summary>
public static class JCommonsenseQa
{
    public const int ChoiceCount = 5;
    public const string AnswerOpenTag = "<answer>";
    public const string AnswerCloseTag = "</answer>";

    /// <summary>The stop sequence the protocol uses.</summary>
    public const string StopSequence = AnswerCloseTag;

    /// <summary>The report's example question (its answer is choice 2, マザーボード).</summary>
    public static JCommonsenseQaItem DefaultExample { get; } = new JCommonsenseQaItem(
        0, "電子機器で使用される最も主要な電子回路基板の事をなんと言う？",
        new[] { "掲示板", "パソコン", "マザーボード", "ハードディスク", "まな板" }, 2);

    public static string BuildPrompt(JCommonsenseQaItem item, JCommonsenseQaItem? example = null)
    {
        if (item == null) throw new ArgumentNullException(nameof(item));
        var shot = example ?? DefaultExample;
        var prompt = new StringBuilder();
        prompt.Append("### 例 ###\n");
        AppendQuestion(prompt, shot);
        prompt.Append(' ').Append(AnswerOpenTag).Append(shot.CorrectChoice).Append(AnswerCloseTag).Append("\n\n");
        AppendQuestion(prompt, item);
        return prompt.ToString();
    }

    private static void AppendQuestion(StringBuilder prompt, JCommonsenseQaItem item)
    {
        prompt.Append("質問: ").Append(item.Question).Append('\n');
        for (var i = 0; i < ChoiceCount; i++) prompt.Append("choice").Append(i).Append(": ").Append(item.Choices[i]).Append('\n');
        prompt.Append("回答:");
    }

    /// <summary>Reads the answer: the text after &lt;answer&gt; (up to &lt;/answer&gt; if present; the stop sequence is
    /// usually cut off), else the first non-empty line. It names a choice when it equals a choice's text, or is the
    /// choice's index ("2", "２", "choice2").</summary>
    public static JCommonsenseQaAnswer ExtractAnswer(string? completion, JCommonsenseQaItem item)
    {
        if (item == null) throw new ArgumentNullException(nameof(item));
        var text = AnswerText(completion ?? "");
        if (text == null) return new JCommonsenseQaAnswer(null, null, false);
        var index = ChoiceIndex(text, item);
        return new JCommonsenseQaAnswer(text, index, index == item.Label);
    }

    private static string? AnswerText(string completion)
    {
        var open = completion.IndexOf(AnswerOpenTag, StringComparison.Ordinal);
        string candidate;
        if (open >= 0)
        {
            var start = open + AnswerOpenTag.Length;
            var close = completion.IndexOf(AnswerCloseTag, start, StringComparison.Ordinal);
            candidate = close >= 0 ? completion.Substring(start, close - start) : completion.Substring(start);
            var newline = candidate.IndexOf('\n');
            if (close < 0 && newline >= 0) candidate = candidate.Substring(0, newline);
        }
        else
        {
            candidate = "";
            foreach (var line in completion.Split('\n'))
            {
                if (line.Trim().Length == 0) continue;
                candidate = line;
                break;
            }
        }
        candidate = candidate.Trim().Trim('「', '」', '"', '\'', '。');
        return candidate.Length == 0 ? null : candidate;
    }

    private static int? ChoiceIndex(string answer, JCommonsenseQaItem item)
    {
        for (var i = 0; i < ChoiceCount; i++)
            if (string.Equals(item.Choices[i].Trim(), answer, StringComparison.Ordinal)) return i;
        var digits = answer.StartsWith("choice", StringComparison.OrdinalIgnoreCase) ? answer.Substring(6).Trim() : answer;
        digits = digits.Normalize(NormalizationForm.FormKC);
        if (digits.Length == 1 && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < ChoiceCount)
            return index;
        return null;
    }
}

/// <summary>Running exact-match accuracy.</summary>
public sealed class JCommonsenseQaTally
{
    public int Total { get; private set; }
    public int Correct { get; private set; }

    /// <summary>Answers that named no choice at all.</summary>
    public int Unanswered { get; private set; }

    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    public void Add(JCommonsenseQaAnswer answer)
    {
        Total++;
        if (answer.IsCorrect) Correct++;
        if (answer.ChoiceIndex == null) Unanswered++;
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BedrockImport.Engine.Invocation.Evaluation;

/// <summary>One scored item for one model.</summary>
public sealed class EvaluationRow
{
    public string Model { get; set; } = "";
    public string ItemId { get; set; } = "";
    public string RunKey { get; set; } = "";
    public string PromptHash { get; set; } = "";
    public string Completion { get; set; } = "";
    public string? Answer { get; set; }
    public int? ChoiceIndex { get; set; }
    public int Label { get; set; }
    public AnswerRule Rule { get; set; }
    public bool Correct { get; set; }
    public double LatencyMs { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public DateTimeOffset Timestamp { get; set; }

    /// <summary>True when the row was read from the result file of an earlier run, not answered now.</summary>
    public bool Resumed { get; set; }
}

/// <summary>Per-item rows as JSON Lines, appended and flushed one at a time so a killed run loses nothing answered.
/// Opening reads the rows already there; a half-written last line (a kill mid-write) is skipped and reported in
/// <see cref="TruncatedLine"/>, and the next row starts on a new line. A bad line elsewhere is an error.</summary>
public sealed class ResultStore : IDisposable
{
    private readonly Dictionary<(string RunKey, string ItemId), EvaluationRow> _rows = new();
    private readonly object _gate = new();
    private readonly StreamWriter _writer;

    private ResultStore(string path, StreamWriter writer, long? truncatedLine)
    {
        Path = path;
        _writer = writer;
        TruncatedLine = truncatedLine;
    }

    public string Path { get; }

    /// <summary>The 1-based line number of a half-written last line that was skipped, if any.</summary>
    public long? TruncatedLine { get; }

    /// <summary>Rows read at open plus rows appended since.</summary>
    public int Count { get { lock (_gate) return _rows.Count; } }

    public static ResultStore Open(string path)
    {
        var existing = new List<EvaluationRow>();
        long? truncated = null;
        var needsNewline = false;
        var needsTruncate = false;
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path, Encoding.UTF8);
            var lines = text.Split('\n');
            var endsClean = text.Length == 0 || text.EndsWith("\n", StringComparison.Ordinal);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].TrimEnd('\r');
                if (line.Trim().Length == 0) continue;
                var isLast = i == lines.Length - 1;
                try { existing.Add(Parse(line)); }
                catch (Exception e) when (e is JsonException || e is KeyNotFoundException || e is InvalidOperationException || e is FormatException)
                {
                    if (isLast && !endsClean) { truncated = i + 1; needsTruncate = true; continue; }
                    throw new FormatException(path + " line " + (i + 1) + " is not a result row: " + e.Message, e);
                }
            }
            needsNewline = !endsClean && !needsTruncate;
        }
        if (needsTruncate)
        {
            // The half-written row of a killed run is cut off, so the next row starts on a clean line and a later
            // resume does not find it in the middle of the file.
            var end = LastCompleteLineEnd(path);
            using var cut = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
            cut.SetLength(end);
        }
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" };
        if (needsNewline) { writer.Write('\n'); writer.Flush(); }
        var store = new ResultStore(path, writer, truncated);
        foreach (var row in existing) store._rows[(row.RunKey, row.ItemId)] = row;
        return store;
    }

    /// <summary>The row already scored for this run key and item, or null.</summary>
    public EvaluationRow? Find(string runKey, string itemId)
    {
        lock (_gate) return _rows.TryGetValue((runKey, itemId), out var row) ? row : null;
    }

    /// <summary>Appends one row and flushes it to the operating system before returning.</summary>
    public void Append(EvaluationRow row)
    {
        var line = Serialize(row);
        lock (_gate)
        {
            _writer.Write(line);
            _writer.Write('\n');
            _writer.Flush();
            _rows[(row.RunKey, row.ItemId)] = row;
        }
    }

    public void Dispose()
    {
        lock (_gate) _writer.Dispose();
    }

    internal static string Serialize(EvaluationRow row)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("model", row.Model);
            json.WriteString("itemId", row.ItemId);
            json.WriteString("runKey", row.RunKey);
            json.WriteString("promptHash", row.PromptHash);
            json.WriteString("completion", row.Completion);
            if (row.Answer == null) json.WriteNull("answer"); else json.WriteString("answer", row.Answer);
            if (row.ChoiceIndex == null) json.WriteNull("choiceIndex"); else json.WriteNumber("choiceIndex", row.ChoiceIndex.Value);
            json.WriteNumber("label", row.Label);
            json.WriteString("rule", row.Rule.ToString());
            json.WriteBoolean("correct", row.Correct);
            json.WriteNumber("latencyMs", row.LatencyMs);
            json.WriteNumber("inputTokens", row.InputTokens);
            json.WriteNumber("outputTokens", row.OutputTokens);
            json.WriteString("timestamp", row.Timestamp.ToString("O", CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static long LastCompleteLineEnd(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var newline = Array.LastIndexOf(bytes, (byte)'\n');
        return newline + 1;
    }

    internal static EvaluationRow Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        var r = document.RootElement;
        var choice = r.GetProperty("choiceIndex");
        var answer = r.GetProperty("answer");
        return new EvaluationRow
        {
            Model = r.GetProperty("model").GetString() ?? "",
            ItemId = r.GetProperty("itemId").GetString() ?? "",
            RunKey = r.GetProperty("runKey").GetString() ?? "",
            PromptHash = r.GetProperty("promptHash").GetString() ?? "",
            Completion = r.GetProperty("completion").GetString() ?? "",
            Answer = answer.ValueKind == JsonValueKind.Null ? null : answer.GetString(),
            ChoiceIndex = choice.ValueKind == JsonValueKind.Null ? null : choice.GetInt32(),
            Label = r.GetProperty("label").GetInt32(),
            Rule = (AnswerRule)Enum.Parse(typeof(AnswerRule), r.GetProperty("rule").GetString() ?? ""),
            Correct = r.GetProperty("correct").GetBoolean(),
            LatencyMs = r.GetProperty("latencyMs").GetDouble(),
            InputTokens = r.GetProperty("inputTokens").GetInt64(),
            OutputTokens = r.GetProperty("outputTokens").GetInt64(),
            Timestamp = DateTimeOffset.Parse(r.GetProperty("timestamp").GetString() ?? "", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            Resumed = true,
        };
    }
}

/// <summary>Rows as CSV (RFC 4180 quoting), for -ResultPath *.csv.</summary>
public static class ResultCsv
{
    public const string Header = "model,itemId,runKey,promptHash,completion,answer,choiceIndex,label,rule,correct,latencyMs,inputTokens,outputTokens,timestamp";

    public static string Line(EvaluationRow row) => string.Join(",", new[]
    {
        row.Model, row.ItemId, row.RunKey, row.PromptHash, row.Completion, row.Answer ?? "",
        row.ChoiceIndex?.ToString(CultureInfo.InvariantCulture) ?? "", row.Label.ToString(CultureInfo.InvariantCulture), row.Rule.ToString(),
        row.Correct ? "true" : "false", row.LatencyMs.ToString("R", CultureInfo.InvariantCulture),
        row.InputTokens.ToString(CultureInfo.InvariantCulture), row.OutputTokens.ToString(CultureInfo.InvariantCulture),
        row.Timestamp.ToString("O", CultureInfo.InvariantCulture),
    }.Select(Quote));

    private static string Quote(string field) =>
        field.IndexOfAny(new[] { ',', '"', '\n', '\r' }) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}

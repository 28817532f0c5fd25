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

    /// <summary>What was sent: the prompt text, or for the Messages style the messages as a JSON array of {role, content}.</summary>
    public string Prompt { get; set; } = "";
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

/// <summary>Per-item rows as JSON Lines (or CSV when the path ends in .csv), appended and flushed one at a time so a
/// killed run loses nothing answered. Opening reads the rows already there; a half-written last row (a kill mid-write)
/// is cut off and reported in <see cref="TruncatedLine"/>, so the next row starts on a clean line. A bad row elsewhere
/// is an error.</summary>
public sealed class ResultStore : IDisposable
{
    private readonly Dictionary<(string RunKey, string ItemId), EvaluationRow> _rows = new();
    private readonly object _gate = new();
    private readonly StreamWriter _writer;
    private readonly bool _csv;

    private ResultStore(string path, StreamWriter writer, long? truncatedLine, bool csv)
    {
        Path = path;
        _writer = writer;
        TruncatedLine = truncatedLine;
        _csv = csv;
    }

    public string Path { get; }

    /// <summary>The 1-based line number of a half-written last row that was cut off, if any.</summary>
    public long? TruncatedLine { get; }

    private int _appended;

    /// <summary>Rows read at open plus rows appended since.</summary>
    public int Count { get { lock (_gate) return _rows.Count + _appended; } }

    public static bool IsCsvPath(string path) => path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    public static ResultStore Open(string path)
    {
        var csv = IsCsvPath(path);
        var bytes = File.Exists(path) ? File.ReadAllBytes(path) : Array.Empty<byte>();
        var preamble = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        var text = Encoding.UTF8.GetString(bytes, preamble, bytes.Length - preamble);
        var (existing, keepChars, truncated) = csv ? ReadCsv(path, text) : ReadJsonLines(path, text);
        if (keepChars < text.Length)
        {
            // The half-written row of a killed run is cut off, so a later resume does not find it mid-file.
            using var cut = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
            cut.SetLength(Encoding.UTF8.GetByteCount(text.Substring(0, (int)keepChars)) + preamble);
        }
        var kept = text.Substring(0, (int)keepChars);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" };
        if (kept.Length > 0 && !kept.EndsWith("\n", StringComparison.Ordinal)) writer.Write('\n');
        if (csv && kept.Trim().Length == 0) writer.Write(ResultCsv.Header + "\n");
        writer.Flush();
        var store = new ResultStore(path, writer, truncated, csv);
        foreach (var row in existing) store._rows[(row.RunKey, row.ItemId)] = row;
        return store;
    }

    private static (List<EvaluationRow> Rows, long KeepChars, long? TruncatedLine) ReadJsonLines(string path, string text)
    {
        var rows = new List<EvaluationRow>();
        var endsClean = text.Length == 0 || text.EndsWith("\n", StringComparison.Ordinal);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            try { rows.Add(Parse(line)); }
            catch (Exception e) when (e is JsonException || e is KeyNotFoundException || e is InvalidOperationException || e is FormatException || e is ArgumentException)
            {
                if (i == lines.Length - 1 && !endsClean) return (rows, text.LastIndexOf('\n') + 1, i + 1);
                throw new FormatException(path + " line " + (i + 1) + " is not a result row: " + e.Message, e);
            }
        }
        return (rows, text.Length, null);
    }

    private static (List<EvaluationRow> Rows, long KeepChars, long? TruncatedLine) ReadCsv(string path, string text)
    {
        var rows = new List<EvaluationRow>();
        if (text.Trim().Length == 0) return (rows, 0, null);
        var reader = new CsvRecordReader(new StringReader(text));
        var header = reader.Next()!;
        if (string.Join(",", header) != ResultCsv.Header)
            throw new FormatException(path + " is not a result file of this module: its first line is not the header '" + ResultCsv.Header + "'.");
        var endsClean = text.EndsWith("\n", StringComparison.Ordinal);
        while (true)
        {
            var start = reader.CharsRead;
            var line = reader.LineNumber + 1;
            List<string>? record;
            try { record = reader.Next(); }
            catch (DatasetFormatException) when (!endsClean) { return (rows, start, line); }
            if (record == null) break;
            if (record.Count == 1 && record[0].Length == 0) continue;
            try
            {
                if (record.Count != header.Count) throw new FormatException("it has " + record.Count + " fields, the header " + header.Count);
                rows.Add(FromCsv(header, record));
            }
            catch (Exception e) when (e is FormatException || e is ArgumentException || e is OverflowException)
            {
                if (reader.LastEndedAtEof && !endsClean) return (rows, start, line);
                throw new FormatException(path + " line " + line + " is not a result row: " + e.Message, e);
            }
        }
        return (rows, text.Length, null);
    }

    private static EvaluationRow FromCsv(IReadOnlyList<string> header, IReadOnlyList<string> record)
    {
        var field = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < header.Count; i++) field[header[i]] = record[i];
        return new EvaluationRow
        {
            Model = field["model"],
            ItemId = field["itemId"],
            RunKey = field["runKey"],
            PromptHash = field["promptHash"],
            Prompt = field["prompt"],
            Completion = field["completion"],
            Answer = field["choiceIndex"].Length == 0 && field["answer"].Length == 0 ? null : field["answer"],
            ChoiceIndex = field["choiceIndex"].Length == 0 ? null : int.Parse(field["choiceIndex"], NumberStyles.Integer, CultureInfo.InvariantCulture),
            Label = int.Parse(field["label"], NumberStyles.Integer, CultureInfo.InvariantCulture),
            Rule = (AnswerRule)Enum.Parse(typeof(AnswerRule), field["rule"]),
            Correct = bool.Parse(field["correct"]),
            LatencyMs = double.Parse(field["latencyMs"], NumberStyles.Float, CultureInfo.InvariantCulture),
            InputTokens = long.Parse(field["inputTokens"], NumberStyles.Integer, CultureInfo.InvariantCulture),
            OutputTokens = long.Parse(field["outputTokens"], NumberStyles.Integer, CultureInfo.InvariantCulture),
            Timestamp = DateTimeOffset.Parse(field["timestamp"], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            Resumed = true,
        };
    }

    /// <summary>How many rows were already scored for this run key when the file was opened.</summary>
    public int CountRun(string runKey)
    {
        lock (_gate) return _rows.Keys.Count(k => k.RunKey == runKey);
    }

    /// <summary>The row scored for this run key and item before the file was opened, or null.</summary>
    public EvaluationRow? Find(string runKey, string itemId)
    {
        lock (_gate) return _rows.TryGetValue((runKey, itemId), out var row) ? row : null;
    }

    /// <summary>Appends one row and flushes it to the operating system before returning.</summary>
    public void Append(EvaluationRow row)
    {
        var line = _csv ? ResultCsv.Line(row) : Serialize(row);
        lock (_gate)
        {
            _writer.Write(line);
            _writer.Write('\n');
            _writer.Flush();
            // Not kept: a run asks each item once, so only the rows read at open are ever looked up, and memory stays
            // flat in the number of items answered now.
            _appended++;
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
            json.WriteString("prompt", row.Prompt);
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
            Prompt = r.TryGetProperty("prompt", out var sent) ? sent.GetString() ?? "" : "",
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
    public const string Header = "model,itemId,runKey,promptHash,prompt,completion,answer,choiceIndex,label,rule,correct,latencyMs,inputTokens,outputTokens,timestamp";

    public static string Line(EvaluationRow row) => string.Join(",", new[]
    {
        row.Model, row.ItemId, row.RunKey, row.PromptHash, row.Prompt, row.Completion, row.Answer ?? "",
        row.ChoiceIndex?.ToString(CultureInfo.InvariantCulture) ?? "", row.Label.ToString(CultureInfo.InvariantCulture), row.Rule.ToString(),
        row.Correct ? "true" : "false", row.LatencyMs.ToString("R", CultureInfo.InvariantCulture),
        row.InputTokens.ToString(CultureInfo.InvariantCulture), row.OutputTokens.ToString(CultureInfo.InvariantCulture),
        row.Timestamp.ToString("O", CultureInfo.InvariantCulture),
    }.Select(Quote));

    private static string Quote(string field) =>
        field.IndexOfAny(new[] { ',', '"', '\n', '\r' }) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}

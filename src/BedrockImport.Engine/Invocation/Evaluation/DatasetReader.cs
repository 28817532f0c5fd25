using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BedrockImport.Shared;

namespace BedrockImport.Engine.Invocation.Evaluation;

/// <summary>Reads multiple-choice items one at a time (memory flat in the item count) from JSON Lines, CSV or
/// dictionaries. A bad row throws <see cref="DatasetFormatException"/> naming the row and field; an item is either
/// read whole or not at all.</summary>
public static class DatasetReader
{
    /// <summary>A file by its extension: .csv is CSV, anything else JSON Lines (JGLUE's valid-v1.1.json is JSON Lines
    /// despite its name). The file is read lazily and closed when the enumeration ends.</summary>
    public static IEnumerable<MultipleChoiceItem> ReadFile(string path, ItemFieldMap? map = null)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var source = Path.GetFileName(path);
        var items = path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? ReadCsv(reader, map, source) : ReadJsonLines(reader, map, source);
        foreach (var item in items) yield return item;
    }

    /// <summary>JSON Lines: one object a line; blank lines are skipped.</summary>
    public static IEnumerable<MultipleChoiceItem> ReadJsonLines(TextReader reader, ItemFieldMap? map = null, string source = "input")
    {
        map ??= ItemFieldMap.JGlue;
        long lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNumber++;
            if (line.Trim().Length == 0) continue;
            Dictionary<string, object?> fields;
            try
            {
                using var document = StrictJson.Parse(line);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    throw new DatasetFormatException(source, lineNumber, "(line)", "not a JSON object");
                fields = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var property in document.RootElement.EnumerateObject()) fields[property.Name] = FromJson(property.Value);
            }
            catch (JsonException e)
            {
                throw new DatasetFormatException(source, lineNumber, "(line)", "not valid JSON: " + e.Message, e);
            }
            yield return Build(fields, map, source, lineNumber);
        }
    }

    /// <summary>CSV (RFC 4180: comma, double quotes, quoted fields may span lines) with a header row. A list field
    /// (<see cref="ItemFieldMap.ChoicesField"/>) is split on '|'.</summary>
    public static IEnumerable<MultipleChoiceItem> ReadCsv(TextReader reader, ItemFieldMap? map = null, string source = "input")
    {
        map ??= ItemFieldMap.JGlue;
        var csv = new CsvRecordReader(reader);
        var header = csv.Next();
        if (header == null) yield break;
        while (true)
        {
            var startLine = csv.LineNumber + 1;
            var record = csv.Next();
            if (record == null) yield break;
            if (record.Count == 1 && record[0].Length == 0) continue;
            if (record.Count != header.Count)
                throw new DatasetFormatException(source, startLine, "(row)", "has " + record.Count + " fields, the header has " + header.Count);
            var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < header.Count; i++) fields[header[i]] = record[i];
            if (map.ChoicesField != null && fields.TryGetValue(map.ChoicesField, out var list) && list is string joined)
                fields[map.ChoicesField] = joined.Split('|');
            yield return Build(fields, map, source, startLine);
        }
    }

    /// <summary>Dictionaries, e.g. what a PowerShell object's properties become; row numbers count from 1.</summary>
    public static IEnumerable<MultipleChoiceItem> ReadDictionaries(IEnumerable<IDictionary<string, object?>> rows, ItemFieldMap? map = null, string source = "input")
    {
        map ??= ItemFieldMap.JGlue;
        long row = 0;
        foreach (var fields in rows)
        {
            row++;
            yield return Build(new Dictionary<string, object?>(fields, StringComparer.OrdinalIgnoreCase), map, source, row);
        }
    }

    internal static MultipleChoiceItem Build(IDictionary<string, object?> fields, ItemFieldMap map, string source, long row)
    {
        var id = Scalar(fields, map.Id, source, row);
        var question = Scalar(fields, map.Question, source, row);
        var choices = new List<string>();
        if (map.ChoicesField != null)
        {
            if (!fields.TryGetValue(map.ChoicesField, out var value) || value == null)
                throw new DatasetFormatException(source, row, map.ChoicesField, "is missing");
            if (value is string || value is not IEnumerable list)
                throw new DatasetFormatException(source, row, map.ChoicesField, "is not a list of choices");
            foreach (var choice in list) choices.Add(Convert.ToString(choice, CultureInfo.InvariantCulture) ?? "");
        }
        else
        {
            for (var i = 0; fields.TryGetValue(map.ChoicePrefix + i, out var choice) && choice != null; i++)
                choices.Add(Convert.ToString(choice, CultureInfo.InvariantCulture) ?? "");
        }
        var choiceField = map.ChoicesField ?? map.ChoicePrefix + "0..N";
        if (choices.Count < 2) throw new DatasetFormatException(source, row, choiceField, "has " + choices.Count + " choice(s); at least 2 are needed");
        var labelText = Scalar(fields, map.Label, source, row);
        if (!int.TryParse(labelText.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var label))
            throw new DatasetFormatException(source, row, map.Label, "'" + labelText + "' is not a choice index");
        if (label < 0 || label >= choices.Count)
            throw new DatasetFormatException(source, row, map.Label, label + " is outside 0.." + (choices.Count - 1));
        return new MultipleChoiceItem(id, question, choices, label);
    }

    private static string Scalar(IDictionary<string, object?> fields, string name, string source, long row)
    {
        if (!fields.TryGetValue(name, out var value) || value == null) throw new DatasetFormatException(source, row, name, "is missing");
        if (value is string text) return text;
        if (value is IEnumerable) throw new DatasetFormatException(source, row, name, "is a list, not a single value");
        return Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
    }

    private static object? FromJson(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Array => value.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.Null => null,
        _ => value.GetRawText(),
    };
}

/// <summary>RFC 4180 records (comma, double quotes, quoted fields may span lines, CR ignored outside quotes).</summary>
internal sealed class CsvRecordReader
{
    private readonly TextReader _reader;
    public CsvRecordReader(TextReader reader) => _reader = reader;
    public long LineNumber { get; private set; }

    /// <summary>Characters consumed so far (the position after the last record read).</summary>
    public long CharsRead { get; private set; }

    /// <summary>Whether the last record read ended at the end of the input rather than at a newline.</summary>
    public bool LastEndedAtEof { get; private set; }

    public List<string>? Next()
    {
        var first = _reader.Peek();
        if (first < 0) return null;
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        LastEndedAtEof = false;
        while (true)
        {
            var c = _reader.Read();
            if (c < 0)
            {
                if (quoted) throw new DatasetFormatException("csv", LineNumber + 1, "(row)", "a quoted field is not closed");
                LineNumber++;
                LastEndedAtEof = true;
                break;
            }
            CharsRead++;
            if (quoted)
            {
                if (c == '"')
                {
                    if (_reader.Peek() == '"') { _reader.Read(); CharsRead++; field.Append('"'); }
                    else quoted = false;
                }
                else
                {
                    if (c == '\n') LineNumber++;
                    field.Append((char)c);
                }
                continue;
            }
            if (c == '"' && field.Length == 0) { quoted = true; continue; }
            if (c == ',') { fields.Add(field.ToString()); field.Clear(); continue; }
            if (c == '\r') continue;
            if (c == '\n') { LineNumber++; break; }
            field.Append((char)c);
        }
        fields.Add(field.ToString());
        return fields;
    }
}

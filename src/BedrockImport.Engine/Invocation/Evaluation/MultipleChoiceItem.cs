namespace BedrockImport.Engine.Invocation.Evaluation;

/// <summary>One multiple-choice question: an id, the question, two or more choices and the index of the right one.</summary>
public sealed class MultipleChoiceItem
{
    public MultipleChoiceItem(string id, string question, IReadOnlyList<string> choices, int label)
    {
        if (string.IsNullOrEmpty(id)) throw new ArgumentException("An item needs an id.", nameof(id));
        if (choices == null || choices.Count < 2) throw new ArgumentException("An item has at least two choices.", nameof(choices));
        if (label < 0 || label >= choices.Count)
            throw new ArgumentOutOfRangeException(nameof(label), label, "The label is the index of the correct choice, 0 to " + (choices.Count - 1) + ".");
        Id = id;
        Question = question ?? throw new ArgumentNullException(nameof(question));
        Choices = choices;
        Label = label;
    }

    public string Id { get; }
    public string Question { get; }
    public IReadOnlyList<string> Choices { get; }
    public int Label { get; }
    public string CorrectChoice => Choices[Label];
}

/// <summary>Which source fields hold an item's parts. Choices are either numbered fields
/// (<see cref="ChoicePrefix"/>0, 1, ... until one is missing) or one list field (<see cref="ChoicesField"/>).</summary>
public sealed class ItemFieldMap
{
    public string Id { get; set; } = "q_id";
    public string Question { get; set; } = "question";
    public string Label { get; set; } = "label";
    public string ChoicePrefix { get; set; } = "choice";

    /// <summary>When set, the choices are this field's list (a JSON array, or in CSV a '|'-separated cell).</summary>
    public string? ChoicesField { get; set; }

    /// <summary>JGLUE's JCommonsenseQA shape (q_id, question, choice0..choice4, label).</summary>
    public static ItemFieldMap JGlue => new();

    /// <summary>Builds a map from "part = field name" pairs (what a PowerShell hashtable becomes). Parts: id, question,
    /// label, choicePrefix, choices; unknown parts are an error.</summary>
    public static ItemFieldMap From(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var map = new ItemFieldMap();
        foreach (var pair in pairs)
        {
            switch (pair.Key.ToLowerInvariant())
            {
                case "id": map.Id = pair.Value; break;
                case "question": map.Question = pair.Value; break;
                case "label": map.Label = pair.Value; break;
                case "choiceprefix": map.ChoicePrefix = pair.Value; break;
                case "choices": map.ChoicesField = pair.Value; break;
                default: throw new ArgumentException("Unknown field map key '" + pair.Key + "'; use id, question, label, choicePrefix or choices.", nameof(pairs));
            }
        }
        return map;
    }
}

/// <summary>A row of a data set that cannot be read; says where and which field.</summary>
public sealed class DatasetFormatException : FormatException, BedrockImport.Engine.Errors.IEngineError
{
    public string ErrorId => "InvalidDatasetRow";
    public BedrockImport.Engine.Errors.ErrorKind Kind => BedrockImport.Engine.Errors.ErrorKind.InvalidData;

    public DatasetFormatException(string source, long row, string field, string problem, Exception? inner = null)
        : base(source + " row " + row + ", field '" + field + "': " + problem, inner)
    {
        DataSource = source;
        Row = row;
        Field = field;
    }

    /// <summary>The file name or "input".</summary>
    public string DataSource { get; }

    /// <summary>1-based line (JSON Lines, CSV physical line where the record starts) or object position.</summary>
    public long Row { get; }
    public string Field { get; }
}

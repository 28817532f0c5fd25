namespace BedrockImport.Engine.Comparison;

/// <summary>One prompt of Compare-ImportedModel: the greedy completion of the local weights and of the imported model,
/// and after how many tokens (under the model's own tokenizer) they part.</summary>
public sealed class ModelComparisonResult
{
    public string Prompt { get; set; } = "";

    /// <summary>Both completions are the same text.</summary>
    public bool Agree { get; set; }

    /// <summary>How many leading tokens the two completions share.</summary>
    public int AgreedTokens { get; set; }

    /// <summary>The 0-based index of the first token that differs; null when the completions agree.</summary>
    public int? PartedAtToken { get; set; }

    public string LocalCompletion { get; set; } = "";
    public string RemoteCompletion { get; set; } = "";
    public IReadOnlyList<int> LocalTokens { get; set; } = Array.Empty<int>();
    public IReadOnlyList<int> RemoteTokens { get; set; } = Array.Empty<int>();
    public string? LocalStopReason { get; set; }
    public string? RemoteStopReason { get; set; }
    public string ModelArn { get; set; } = "";

    public override string ToString() => Agree ? $"agree ({AgreedTokens} tokens)" : $"parted at token {PartedAtToken}";
}

/// <summary>Where two token sequences part.</summary>
public static class CompletionParting
{
    /// <summary>The number of leading ids both sequences share, and the index where they part (null when they are
    /// identical; the length of the shorter one when it is a prefix of the other).</summary>
    public static (int AgreedTokens, int? PartedAtToken) Compare(IReadOnlyList<int> local, IReadOnlyList<int> remote)
    {
        var shared = Math.Min(local.Count, remote.Count);
        var index = 0;
        while (index < shared && local[index] == remote[index])
        {
            index++;
        }

        return index == local.Count && index == remote.Count ? (index, null) : (index, index);
    }
}

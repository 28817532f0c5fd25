namespace BedrockImport.Inference.Tokenization;

/// <summary>
/// The ids a tokenizer.json post-processor puts around a single sequence when special tokens are added:
/// TemplateProcessing's "single" template (for example <c>&lt;|begin_of_text|&gt; $A</c>); ByteLevel changes no ids;
/// a Sequence combines its parts.
/// </summary>
internal sealed class PostProcessor
{
    public static readonly PostProcessor None = new(Array.Empty<int>(), Array.Empty<int>());

    private PostProcessor(int[] prefix, int[] suffix)
    {
        Prefix = prefix;
        Suffix = suffix;
    }

    public int[] Prefix { get; }
    public int[] Suffix { get; }

    public static PostProcessor Read(CheckedJson node, TokenizerLimits limits, int depth = 0)
    {
        if (node.IsNull) return None;
        if (depth > limits.MaxComponentDepth) throw node.Error("post-processors nest too deeply");
        var type = node.TypeName();
        switch (type)
        {
            case "ByteLevel":
                return None;
            case "TemplateProcessing":
                return ReadTemplate(node, limits);
            case "Sequence":
            {
                var prefix = new List<int>();
                var suffix = new List<int>();
                foreach (var child in node["processors"].Items(64))
                {
                    var part = Read(child, limits, depth + 1);
                    prefix.AddRange(part.Prefix);
                    suffix.InsertRange(0, part.Suffix);
                }
                return new PostProcessor(prefix.ToArray(), suffix.ToArray());
            }
            default:
                throw node.Error($"post-processor type '{type}' is not supported");
        }
    }

    private static PostProcessor ReadTemplate(CheckedJson node, TokenizerLimits limits)
    {
        var specialTokens = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (!node["special_tokens"].IsNull)
        {
            foreach (var (name, value) in node["special_tokens"].Properties(limits.MaxAddedTokens))
            {
                specialTokens[name] = value["ids"].Items(64).Select(id => id.GetInt(0, int.MaxValue)).ToArray();
            }
        }
        var prefix = new List<int>();
        var suffix = new List<int>();
        var sequenceSeen = false;
        foreach (var item in node["single"].Items(64))
        {
            if (item.Has("Sequence"))
            {
                var id = item["Sequence"]["id"].GetString(8);
                if (id != "A") throw item.Error($"the single template uses sequence '{id}', expected A");
                if (sequenceSeen) throw item.Error("the single template uses $A twice");
                sequenceSeen = true;
            }
            else if (item.Has("SpecialToken"))
            {
                var nameNode = item["SpecialToken"]["id"];
                var name = nameNode.GetString(limits.MaxTokenLength);
                if (!specialTokens.TryGetValue(name, out var ids)) throw nameNode.Error($"special token '{name}' is not in special_tokens");
                (sequenceSeen ? suffix : prefix).AddRange(ids);
            }
            else
            {
                throw item.Error("a template item must be a Sequence or a SpecialToken");
            }
        }
        if (!sequenceSeen) throw node["single"].Error("the single template has no $A");
        return new PostProcessor(prefix.ToArray(), suffix.ToArray());
    }
}

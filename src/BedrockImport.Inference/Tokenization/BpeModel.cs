using System.Collections.Concurrent;
using System.Text;

namespace BedrockImport.Inference.Tokenization;

/// <summary>
/// The BPE model of tokenizer.json: a pre-token's characters become vocabulary ids (or their UTF-8 bytes as
/// <c>&lt;0xNN&gt;</c> tokens with byte fallback, or the unknown token), then the lowest-ranked adjacent pair is merged
/// until none is left. A priority queue keyed by (rank, position) over a linked list of symbols makes a long word cost
/// O(n log n), not O(n²). Results are cached per pre-token.
/// </summary>
internal sealed class BpeModel
{
    private readonly Dictionary<string, int> vocabulary;
    private readonly Dictionary<int, string> tokensById;
    private readonly Dictionary<long, (int Rank, int MergedId)> merges;
    private readonly int? unknownId;
    private readonly bool fuseUnknown;
    private readonly bool byteFallback;
    private readonly bool ignoreMerges;
    private readonly string? continuingSubwordPrefix;
    private readonly string? endOfWordSuffix;
    private readonly int[]?[] byteTokenIds = new int[]?[256];
    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    private readonly int cacheEntries;
    private const int MaxCachedWordLength = 256;

    private BpeModel(Dictionary<string, int> vocabulary, Dictionary<long, (int, int)> merges, int? unknownId, bool fuseUnknown,
        bool byteFallback, bool ignoreMerges, string? continuingSubwordPrefix, string? endOfWordSuffix, int cacheEntries)
    {
        this.vocabulary = vocabulary;
        this.merges = merges;
        this.unknownId = unknownId;
        this.fuseUnknown = fuseUnknown;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.continuingSubwordPrefix = continuingSubwordPrefix;
        this.endOfWordSuffix = endOfWordSuffix;
        this.cacheEntries = cacheEntries;
        tokensById = new Dictionary<int, string>(vocabulary.Count);
        foreach (var (token, id) in vocabulary)
        {
            tokensById[id] = token;
        }
        for (var b = 0; b < 256; b++)
        {
            if (vocabulary.TryGetValue(ByteToken(b), out var id)) byteTokenIds[b] = new[] { id };
        }
    }

    public int MaxId => vocabulary.Count == 0 ? -1 : vocabulary.Values.Max();

    public int VocabularyCount => vocabulary.Count;

    public bool ByteFallback => byteFallback;

    public int? TokenToId(string token) => vocabulary.TryGetValue(token, out var id) ? id : null;

    public string? IdToToken(int id) => tokensById.TryGetValue(id, out var token) ? token : null;

    /// <summary>The byte-fallback token of a byte: <c>&lt;0xE3&gt;</c> (upper-case hex digits, as the Rust BPE writes it).</summary>
    public static string ByteToken(int b) => $"<0x{b:X2}>";

    public static BpeModel Read(CheckedJson node, TokenizerLimits limits)
    {
        var type = node["type"].IsNull ? "BPE" : node.TypeName();
        if (type != "BPE") throw node.Error($"model type '{type}' is not supported (only BPE)");
        // dropout is ignored: it only matters for training, encoding never drops merges.
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, idNode) in node["vocab"].Properties(limits.MaxVocabularySize))
        {
            if (token.Length > limits.MaxTokenLength) throw idNode.Error($"a vocabulary entry is longer than {limits.MaxTokenLength} characters");
            vocabulary[token] = idNode.GetInt(0, limits.MaxVocabularySize * 2);
        }

        var prefix = node["continuing_subword_prefix"].GetOptionalString(limits.MaxTokenLength);
        var suffix = node["end_of_word_suffix"].GetOptionalString(limits.MaxTokenLength);
        var merges = new Dictionary<long, (int, int)>();
        var rank = 0;
        foreach (var merge in node["merges"].IsNull ? Enumerable.Empty<CheckedJson>() : node["merges"].Items(limits.MaxMerges))
        {
            string left, right;
            if (merge.Kind == System.Text.Json.JsonValueKind.String)
            {
                var parts = merge.GetString(limits.MaxTokenLength * 2 + 1).Split(' ');
                if (parts.Length != 2) throw merge.Error("a merge string must be two tokens separated by one space");
                (left, right) = (parts[0], parts[1]);
            }
            else
            {
                if (merge.ArrayLength(2) != 2) throw merge.Error("a merge must be a pair of tokens");
                var pair = merge.Items(2).ToArray();
                (left, right) = (pair[0].GetString(limits.MaxTokenLength), pair[1].GetString(limits.MaxTokenLength));
            }
            if (!vocabulary.TryGetValue(left, out var leftId)) throw merge.Error($"merge token '{left}' is not in the vocabulary");
            if (!vocabulary.TryGetValue(right, out var rightId)) throw merge.Error($"merge token '{right}' is not in the vocabulary");
            var rightPart = prefix is not null && right.StartsWith(prefix, StringComparison.Ordinal) ? right[prefix.Length..] : right;
            var mergedToken = left + rightPart;
            if (!vocabulary.TryGetValue(mergedToken, out var mergedId)) throw merge.Error($"merged token '{mergedToken}' is not in the vocabulary");
            merges[PairKey(leftId, rightId)] = (rank++, mergedId);
        }

        int? unknownId = null;
        var unknownToken = node["unk_token"].GetOptionalString(limits.MaxTokenLength);
        if (unknownToken is not null)
        {
            if (!vocabulary.TryGetValue(unknownToken, out var id)) throw node["unk_token"].Error($"the unknown token '{unknownToken}' is not in the vocabulary");
            unknownId = id;
        }

        return new BpeModel(vocabulary, merges, unknownId, node["fuse_unk"].GetBool(false), node["byte_fallback"].GetBool(false),
            node["ignore_merges"].GetBool(false), prefix, suffix, limits.CacheEntries);
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    public void Encode(string word, List<int> output)
    {
        if (word.Length == 0) return;
        if (ignoreMerges && vocabulary.TryGetValue(word, out var whole))
        {
            output.Add(whole);
            return;
        }
        if (cache.TryGetValue(word, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        var ids = Merge(InitialSymbols(word));
        // Only short words are kept: without a pre-tokenizer (Llama 2) a whole prompt is one word.
        if (word.Length <= MaxCachedWordLength)
        {
            if (cache.Count >= cacheEntries) cache.Clear();
            cache[word] = ids;
        }
        output.AddRange(ids);
    }

    private List<int> InitialSymbols(string word)
    {
        var symbols = new List<int>(word.Length);
        int? pendingUnknown = null;
        for (var i = 0; i < word.Length;)
        {
            var length = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            var character = word.Substring(i, length);
            var symbol = character;
            if (continuingSubwordPrefix is not null && i > 0) symbol = continuingSubwordPrefix + symbol;
            if (endOfWordSuffix is not null && i + length == word.Length) symbol += endOfWordSuffix;
            i += length;

            if (vocabulary.TryGetValue(symbol, out var id))
            {
                if (pendingUnknown is { } unknown) symbols.Add(unknown);
                pendingUnknown = null;
                symbols.Add(id);
                continue;
            }
            if (byteFallback && TryByteFallback(symbol, symbols, ref pendingUnknown))
            {
                continue;
            }
            if (unknownId is { } unk)
            {
                if (pendingUnknown is not null && !fuseUnknown) symbols.Add(pendingUnknown.Value);
                pendingUnknown = unk;
            }
            // Without an unknown token the character is dropped, as the Rust BPE does.
        }
        if (pendingUnknown is { } last) symbols.Add(last);
        return symbols;
    }

    private bool TryByteFallback(string symbol, List<int> symbols, ref int? pendingUnknown)
    {
        var bytes = Encoding.UTF8.GetBytes(symbol);
        foreach (var b in bytes)
        {
            if (byteTokenIds[b] is null) return false;
        }
        if (pendingUnknown is { } unknown) symbols.Add(unknown);
        pendingUnknown = null;
        foreach (var b in bytes)
        {
            symbols.Add(byteTokenIds[b]![0]);
        }
        return true;
    }

    private int[] Merge(List<int> symbols)
    {
        var count = symbols.Count;
        if (count < 2) return symbols.ToArray();
        var ids = symbols.ToArray();
        var previous = new int[count];
        var next = new int[count];
        var removed = new bool[count];
        for (var i = 0; i < count; i++)
        {
            previous[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }

        // Lowest rank first, then leftmost position; stale entries are skipped when popped.
        var queue = new PriorityQueue<(int Position, int MergedId), (int Rank, int Position)>();
        for (var i = 0; i + 1 < count; i++)
        {
            if (merges.TryGetValue(PairKey(ids[i], ids[i + 1]), out var merge)) queue.Enqueue((i, merge.MergedId), (merge.Rank, i));
        }
        while (queue.TryDequeue(out var top, out _))
        {
            var position = top.Position;
            if (removed[position] || next[position] < 0) continue;
            var right = next[position];
            if (!merges.TryGetValue(PairKey(ids[position], ids[right]), out var current) || current.MergedId != top.MergedId) continue;

            ids[position] = top.MergedId;
            removed[right] = true;
            next[position] = next[right];
            if (next[right] >= 0) previous[next[right]] = position;

            if (previous[position] >= 0 && merges.TryGetValue(PairKey(ids[previous[position]], ids[position]), out var withPrevious))
            {
                queue.Enqueue((previous[position], withPrevious.MergedId), (withPrevious.Rank, previous[position]));
            }
            if (next[position] >= 0 && merges.TryGetValue(PairKey(ids[position], ids[next[position]]), out var withNext))
            {
                queue.Enqueue((position, withNext.MergedId), (withNext.Rank, position));
            }
        }
        var result = new List<int>(count);
        for (var i = 0; i >= 0; i = next[i])
        {
            result.Add(ids[i]);
        }
        return result.ToArray();
    }
}

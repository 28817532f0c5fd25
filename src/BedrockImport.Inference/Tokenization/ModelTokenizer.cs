using System.Text.Json;
using System.Text.RegularExpressions;

namespace BedrockImport.Inference.Tokenization;

/// <summary>
/// A model's own tokenizer, read from its tokenizer.json and reproducing the Rust tokenizers' ids: added and special
/// tokens first, then the normalizer, the pre-tokenizer and the BPE model (byte-level as in Llama 3 and Qwen, or
/// SentencePiece-style with byte fallback as in Mistral and Llama 2), and the post-processor's special tokens when
/// asked. Thread-safe once loaded.
/// </summary>
public sealed class ModelTokenizer
{
    private readonly string filePath;
    private readonly BpeModel model;
    private readonly Normalizer? normalizer;
    private readonly PreTokenizer? preTokenizer;
    private readonly Decoder? decoder;
    private readonly PostProcessor postProcessor;
    private readonly Dictionary<int, AddedToken> addedTokensById;
    private readonly Dictionary<string, AddedToken> addedTokensByContent;
    private readonly AddedTokenMatcher rawMatcher;
    private readonly AddedTokenMatcher normalizedMatcher;

    private ModelTokenizer(string filePath, BpeModel model, Normalizer? normalizer, PreTokenizer? preTokenizer, Decoder? decoder,
        PostProcessor postProcessor, IReadOnlyList<AddedToken> addedTokens)
    {
        this.filePath = filePath;
        this.model = model;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.decoder = decoder;
        this.postProcessor = postProcessor;
        addedTokensById = new Dictionary<int, AddedToken>();
        addedTokensByContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var token in addedTokens)
        {
            addedTokensById[token.Id] = token;
            addedTokensByContent.TryAdd(token.Content, token);
        }
        rawMatcher = new AddedTokenMatcher(addedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        normalizedMatcher = new AddedTokenMatcher(addedTokens.Where(t => t.Normalized)
            .Select(t => (normalizer?.Normalize(t.Content) ?? t.Content, t)));
        var maxId = Math.Max(model.MaxId, addedTokens.Count == 0 ? -1 : addedTokens.Max(t => t.Id));
        VocabularySize = maxId + 1;
    }

    /// <summary>Highest id of the vocabulary or the added tokens, plus one.</summary>
    public int VocabularySize { get; }

    /// <summary>The beginning-of-sequence id: the post-processor's leading special token, else the configs' bos token.</summary>
    public int? BosTokenId { get; private set; }

    /// <summary>End-of-sequence ids from generation_config.json (a list is allowed), else tokenizer_config.json.</summary>
    public IReadOnlyList<int> EosTokenIds { get; private set; } = Array.Empty<int>();

    /// <summary>The ids the post-processor puts before the text when special tokens are added (Llama 3: begin_of_text).</summary>
    public IReadOnlyList<int> PrefixTokenIds => Array.AsReadOnly(postProcessor.Prefix);

    /// <summary>The ids the post-processor puts after the text when special tokens are added.</summary>
    public IReadOnlyList<int> SuffixTokenIds => Array.AsReadOnly(postProcessor.Suffix);

    public bool IsSpecial(int id) => addedTokensById.TryGetValue(id, out var token) && token.Special;

    /// <summary>The id of a token string (added token content or vocabulary entry), null when there is none.</summary>
    public int? TokenToId(string token) => addedTokensByContent.TryGetValue(token, out var added) ? added.Id : model.TokenToId(token);

    /// <summary>The token string of an id (added token content or vocabulary entry), null when the id is unknown.</summary>
    public string? IdToToken(int id) => addedTokensById.TryGetValue(id, out var added) ? added.Content : model.IdToToken(id);

    /// <summary>Loads a model folder's tokenizer (tokenizer.json, with tokenizer_config.json and generation_config.json when present), or a tokenizer.json path.</summary>
    public static ModelTokenizer Load(string folderOrFile, TokenizerLimits? limits = null)
    {
        limits ??= TokenizerLimits.Default;
        var file = Directory.Exists(folderOrFile) ? Path.Combine(folderOrFile, "tokenizer.json") : folderOrFile;
        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        ModelTokenizer tokenizer;
        using (var document = CheckedJson.ParseFile(file, limits.MaxFileBytes))
        {
            try
            {
                tokenizer = FromJson(new CheckedJson(file, "", document.RootElement), limits);
            }
            catch (RegexMatchTimeoutException ex)
            {
                throw new TokenizerFormatException(file, $"a normalizer pattern took longer than {ex.MatchTimeout.TotalSeconds:0.#} s on an added token", ex);
            }
        }
        tokenizer.ReadSpecialIds(folder, limits);
        return tokenizer;
    }

    private static ModelTokenizer FromJson(CheckedJson root, TokenizerLimits limits)
    {
        if (root.Kind != JsonValueKind.Object) throw root.Error("the file is not a JSON object");
        // truncation and padding are ignored: they shape training batches, the endpoint encodes one prompt whole.
        if (root["model"].IsNull) throw root.Error("the file has no model");
        var model = BpeModel.Read(root["model"], limits);
        var addedTokens = new List<AddedToken>();
        if (!root["added_tokens"].IsNull)
        {
            var indexByContent = new Dictionary<string, int>(StringComparer.Ordinal);
            int? maxAddedId = null;
            foreach (var item in root["added_tokens"].Items(limits.MaxAddedTokens))
            {
                item["id"].GetInt(0, limits.MaxVocabularySize * 2); // checked, but not what decides the id (below)
                var content = item["content"].GetString(limits.MaxTokenLength);
                var special = item["special"].GetBool(false);
                if (content.Length == 0) continue;
                var token = new AddedToken(
                    0,
                    content,
                    special,
                    item["normalized"].GetBool(!special),
                    item["lstrip"].GetBool(false),
                    item["rstrip"].GetBool(false),
                    item["single_word"].GetBool(false));
                if (indexByContent.TryGetValue(content, out var index))
                {
                    // The same content again keeps its id and takes the later flags, but once special it stays special
                    // (the Rust tokenizers never take a token out of their special set).
                    addedTokens[index] = token with { Id = addedTokens[index].Id, Special = token.Special || addedTokens[index].Special };
                    continue;
                }
                // The Rust tokenizers number added tokens themselves: the vocabulary's id when the content is in it,
                // else the next id after the vocabulary and the added tokens so far. The file's id only agrees with it.
                var vocabularyCount = model.VocabularyCount;
                var id = model.TokenToId(content)
                    ?? (maxAddedId is { } max && (max >= vocabularyCount || vocabularyCount == 0) ? max + 1 : vocabularyCount);
                token = token with { Id = id };
                maxAddedId = maxAddedId is { } previous ? Math.Max(previous, id) : id;
                indexByContent[content] = addedTokens.Count;
                addedTokens.Add(token);
            }
        }
        return new ModelTokenizer(
            root.File,
            model,
            Normalizer.Read(root["normalizer"], limits),
            PreTokenizer.Read(root["pre_tokenizer"], limits),
            Decoder.Read(root["decoder"], limits),
            PostProcessor.Read(root["post_processor"], limits),
            addedTokens);
    }

    private void ReadSpecialIds(string folder, TokenizerLimits limits)
    {
        int? configBos = null;
        var configEos = new List<int>();
        var tokenizerConfig = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(tokenizerConfig))
        {
            using var document = CheckedJson.ParseFile(tokenizerConfig, limits.MaxFileBytes);
            var root = new CheckedJson(tokenizerConfig, "", document.RootElement);
            if (root.Kind == JsonValueKind.Object)
            {
                configBos = TokenIdOf(root["bos_token"], limits);
                if (TokenIdOf(root["eos_token"], limits) is { } eos) configEos.Add(eos);
            }
        }
        var generationConfig = Path.Combine(folder, "generation_config.json");
        if (File.Exists(generationConfig))
        {
            using var document = CheckedJson.ParseFile(generationConfig, limits.MaxFileBytes);
            var root = new CheckedJson(generationConfig, "", document.RootElement);
            if (root.Kind == JsonValueKind.Object)
            {
                if (!root["bos_token_id"].IsNull) configBos ??= root["bos_token_id"].GetInt(0, int.MaxValue);
                var eos = root["eos_token_id"];
                if (eos.Kind == JsonValueKind.Array)
                {
                    configEos = eos.Items(64).Select(id => id.GetInt(0, int.MaxValue)).ToList();
                }
                else if (!eos.IsNull)
                {
                    configEos = new List<int> { eos.GetInt(0, int.MaxValue) };
                }
            }
        }
        BosTokenId = postProcessor.Prefix.Length > 0 ? postProcessor.Prefix[0] : configBos;
        EosTokenIds = configEos.Distinct().ToArray();
    }

    private int? TokenIdOf(CheckedJson node, TokenizerLimits limits)
    {
        // tokenizer_config.json writes a special token as a string or as {"content": ...}.
        if (node.IsNull) return null;
        var content = node.Kind == JsonValueKind.Object ? node["content"].GetString(limits.MaxTokenLength) : node.GetString(limits.MaxTokenLength);
        return TokenToId(content);
    }

    /// <summary>
    /// The ids of a text. With <paramref name="addSpecialTokens"/> the post-processor's tokens are put around them
    /// (Llama 3's begin_of_text, Llama 2's &lt;s&gt;); special tokens written inside the text are always recognised.
    /// </summary>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 2 + 4);
        if (addSpecialTokens) ids.AddRange(postProcessor.Prefix);
        var pieces = new List<Piece>();
        try
        {
            foreach (var (token, start, end) in rawMatcher.Split(text))
            {
                if (token is not null)
                {
                    ids.Add(token.Id);
                    continue;
                }
                var raw = text.Substring(start, end - start);
                var normalized = normalizer?.Normalize(raw) ?? raw;
                foreach (var (normalizedToken, subStart, subEnd) in normalizedMatcher.Split(normalized))
                {
                    if (normalizedToken is not null)
                    {
                        ids.Add(normalizedToken.Id);
                        continue;
                    }
                    var piece = new Piece(normalized.Substring(subStart, subEnd - subStart), start == 0 && subStart == 0);
                    pieces.Clear();
                    if (preTokenizer is null)
                    {
                        if (piece.Text.Length > 0) pieces.Add(piece);
                    }
                    else
                    {
                        preTokenizer.Split(piece, pieces);
                    }
                    foreach (var preToken in pieces)
                    {
                        model.Encode(preToken.Text, ids);
                    }
                }
            }
        }
        catch (RegexMatchTimeoutException ex)
        {
            throw new TokenizerFormatException(filePath, $"a split pattern took longer than {ex.MatchTimeout.TotalSeconds:0.#} s on a text of {text.Length} characters", ex);
        }
        if (addSpecialTokens) ids.AddRange(postProcessor.Suffix);
        return ids;
    }

    /// <summary>
    /// The text of the ids. Special tokens are written as their content unless <paramref name="skipSpecialTokens"/>;
    /// ids the tokenizer does not know are left out. Bytes are joined before they become text, so no character is split.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (var id in ids)
        {
            if (addedTokensById.TryGetValue(id, out var added))
            {
                if (!(skipSpecialTokens && added.Special)) tokens.Add(added.Content);
            }
            else if (model.IdToToken(id) is { } token)
            {
                tokens.Add(token);
            }
        }
        return decoder is null ? string.Join(" ", tokens) : string.Concat(decoder.DecodeChain(tokens));
    }

    /// <summary>A decoder for a stream of generated ids that returns text only for complete UTF-8 characters.</summary>
    public IncrementalDecoder CreateDecoder(bool skipSpecialTokens) => new(this, skipSpecialTokens);
}

using System.Collections.Concurrent;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>A stand-in for one of Bedrock's own models: reachable by Converse and ConverseStream only, answered by
/// TextGenerator from a small fixed answer book (so comparisons run offline and give the same text every time), after
/// the book a test may put in the data folder (<see cref="FoundationModelBooks"/>).</summary>
internal sealed record FoundationModel(string ModelId, ResponseBook Book)
{
    /// <summary>The model's folder under DATA/foundation-models: its id with ':' written as '_' (a valid name everywhere).</summary>
    public string FolderName => ModelId.Replace(':', '_');
}

/// <summary>A stand-in's own answer book from DATA/foundation-models/&lt;FolderName&gt;/responses.jsonl, asked before its
/// built-in book. It is read again whenever the file's write time or size changes, so a test can rewrite it between requests.</summary>
internal sealed class FoundationModelBooks
{
    public const string FolderName = "foundation-models";

    /// <summary>The file is test data, but still read whole: bound it.</summary>
    public const long MaxBookBytes = 16L * 1024 * 1024;

    private readonly string _root;
    private readonly ConcurrentDictionary<string, (DateTime Written, long Length, ResponseBook Book)> _cache = new(StringComparer.Ordinal);

    public FoundationModelBooks(string dataDirectory) => _root = Path.Combine(dataDirectory, FolderName);

    public string PathOf(FoundationModel model) => Path.Combine(_root, model.FolderName, ResponseBook.FileName);

    /// <summary>The data folder's book followed by the built-in one, or the built-in one when the folder has none.</summary>
    public ResponseBook For(FoundationModel model)
    {
        var file = new FileInfo(PathOf(model));
        if (!file.Exists) return model.Book;
        if (file.Length > MaxBookBytes)
            throw new BedrockError(500, "InternalServerException",
                $"The local endpoint's answer book {FolderName}/{model.FolderName}/{ResponseBook.FileName} is larger than {MaxBookBytes / (1024 * 1024)} MiB.");
        if (_cache.TryGetValue(model.ModelId, out var cached) && cached.Written == file.LastWriteTimeUtc && cached.Length == file.Length)
            return cached.Book;
        string text;
        try
        {
            text = File.ReadAllText(file.FullName);
        }
        catch (IOException)
        {
            return model.Book; // deleted or being replaced right now: the built-in book answers this request
        }
        var book = ResponseBook.Parse(text).Then(model.Book);
        _cache[model.ModelId] = (file.LastWriteTimeUtc, file.Length, book);
        return book;
    }
}

/// <summary>The stand-in foundation models and the inference profile the local endpoint registers (README "Converse").
/// The profile is the Claude stand-in itself, so it shares its book in the data folder too.</summary>
internal static class FoundationModels
{
    public const string ClaudeSonnet = "anthropic.claude-3-sonnet-20240229-v1:0";
    public const string NovaLite = "amazon.nova-lite-v1:0";
    public const string ClaudeSonnetProfile = "us.anthropic.claude-3-sonnet-20240229-v1:0";

    /// <summary>The real service's answer when an operation is used with a model it does not serve.</summary>
    public const string UnsupportedActionMessage = "This action doesn't support the model that you provided. Try again with a supported text or chat model.";

    private static readonly FoundationModel Claude = new(ClaudeSonnet, ResponseBook.Parse(
        "{\"contains\": \"capital of France\", \"response\": \"The capital of France is Paris.\"}\n" +
        "{\"contains\": \"Who are you\", \"response\": \"I am a stand-in for Claude 3 Sonnet on the BedrockImport local endpoint.\"}\n" +
        "{\"contains\": \"two plus two\", \"response\": \"Two plus two is four.\"}\n"));

    private static readonly FoundationModel Nova = new(NovaLite, ResponseBook.Parse(
        "{\"contains\": \"capital of France\", \"response\": \"Paris is the capital of France.\"}\n" +
        "{\"contains\": \"Who are you\", \"response\": \"I am a stand-in for Amazon Nova Lite on the BedrockImport local endpoint.\"}\n" +
        "{\"contains\": \"two plus two\", \"response\": \"4\"}\n"));

    /// <summary>The model a Converse model id names: a foundation model id or ARN
    /// (arn:aws:bedrock:REGION::foundation-model/ID), or the inference profile's id or ARN
    /// (arn:aws:bedrock:REGION:ACCOUNT:inference-profile/ID), which routes to the Claude stand-in.</summary>
    public static FoundationModel? Find(string modelId, string region)
    {
        var id = modelId;
        var foundationArn = $"arn:aws:bedrock:{region}::foundation-model/";
        var profileArn = $"arn:aws:bedrock:{region}:{BedrockIds.AccountId}:inference-profile/";
        if (id.StartsWith(foundationArn, StringComparison.Ordinal)) id = id.Substring(foundationArn.Length);
        else if (id.StartsWith(profileArn, StringComparison.Ordinal))
        {
            id = id.Substring(profileArn.Length);
            return id == ClaudeSonnetProfile ? Claude : null;
        }
        return id switch
        {
            ClaudeSonnet or ClaudeSonnetProfile => Claude,
            NovaLite => Nova,
            _ => null,
        };
    }
}

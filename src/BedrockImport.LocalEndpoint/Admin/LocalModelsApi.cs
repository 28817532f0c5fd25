using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Engine.Import;
using BedrockImport.Inference.Model;
using BedrockImport.Inference.Tokenization;
using BedrockImport.LocalEndpoint.Bedrock;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.S3;

namespace BedrockImport.LocalEndpoint.Admin;

/// <summary>
/// Unsigned admin routes that serve a model folder on this machine as an imported model, for Compare-ImportedModel:
/// <list type="bullet">
/// <item>POST /_admin/local-models {"path": "/abs/folder", "name"?}: checks the folder (config.json the inference engine
/// reads, an architecture it runs, tokenizer.json), puts its top-level files into the bucket
/// <see cref="Bucket"/> as links to the files (no copy of the weights; a copy only where links cannot be made),
/// validates that prefix as an import job would, and records a completed import. The answer is the model's ARN; the
/// same path registered again answers the same model. Refusals carry a code: ModelFolderNotAModel (400),
/// UnsupportedArchitecture (422).</item>
/// <item>POST /_admin/local-models/tokenize {"modelArn", "texts": [...]}: each text's ids under the registered model's
/// own tokenizer.json, without special tokens (ModelNotFound, 404, for an ARN that was not registered here).</item>
/// </list>
/// The runtime then answers the ARN like any import: with the weights when the knob bedrock.engine is "weights".
/// </summary>
internal sealed class LocalModelsApi : IUnsignedRoutes
{
    internal const string Bucket = "bedrockimport-local-models";
    internal const string FolderNotAModel = "ModelFolderNotAModel";
    internal const string UnsupportedArchitecture = "UnsupportedArchitecture";
    internal const string ModelNotFound = "ModelNotFound";

    private const int MaxFiles = 4096;
    private const int MaxTexts = 256;
    private const int MaxTextChars = 1_000_000;
    private const long MaxRequestBytes = 16L * 1024 * 1024;

    private readonly EndpointContext _context;
    private readonly BedrockRuntime _runtime;
    private readonly object _registering = new();
    private readonly ConcurrentDictionary<string, Lazy<ModelTokenizer>> _tokenizers = new(StringComparer.Ordinal);

    public LocalModelsApi(EndpointContext context, BedrockRuntime runtime)
    {
        _context = context;
        _runtime = runtime;
    }

    public void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/_admin/local-models", RegisterAsync);
        routes.MapPost("/_admin/local-models/tokenize", TokenizeAsync);
    }

    private sealed class LocalModelException : Exception
    {
        public LocalModelException(int status, string code, string message) : base(message)
        {
            Status = status;
            Code = code;
        }

        public int Status { get; }
        public string Code { get; }
    }

    private async Task RegisterAsync(HttpContext http)
    {
        try
        {
            var body = await ReadBodyAsync(http).ConfigureAwait(false);
            var path = body["path"] is JsonValue p && p.GetValueKind() == JsonValueKind.String ? p.GetValue<string>() : null;
            var name = body["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : null;
            if (string.IsNullOrWhiteSpace(path) || !Path.IsPathFullyQualified(path))
                throw new LocalModelException(400, "InvalidRequest", "POST /_admin/local-models needs {\"path\": an absolute folder path}.");
            if (name is not null && !BedrockPatterns.ImportedModelName.IsMatch(name))
                throw new LocalModelException(400, "InvalidRequest", $"'{name}' is not a valid imported model name.");

            var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            var architecture = CheckFolder(folder);
            var job = await RegisterFolderAsync(folder, name, http.RequestAborted).ConfigureAwait(false);
            var knobs = _context.Knobs.Current.Bedrock;
            var choice = _runtime.Engine.Describe(job, knobs, hasAnswerBook: _runtime.Responses(job) is not null);
            if (choice.State == "not-loaded") StartLoading(job);
            await WriteJsonAsync(http, 200, new JsonObject
            {
                ["modelArn"] = job.ImportedModelArn,
                ["modelName"] = job.ImportedModelName,
                ["modelArchitecture"] = job.ModelArchitecture ?? architecture,
                ["s3Uri"] = job.S3Uri,
                ["engine"] = choice.Engine,
                ["reason"] = choice.Reason,
            }).ConfigureAwait(false);
        }
        catch (LocalModelException e)
        {
            await WriteErrorAsync(http, e).ConfigureAwait(false);
        }
    }

    /// <summary>The architecture the engine will run for <paramref name="folder"/>, or why it will not.</summary>
    private static string CheckFolder(string folder)
    {
        if (!Directory.Exists(folder))
            throw new LocalModelException(400, FolderNotAModel, $"'{folder}' is not a folder.");
        if (!File.Exists(Path.Combine(folder, "config.json")))
            throw new LocalModelException(400, FolderNotAModel, $"'{folder}' is not a model folder: it has no config.json.");
        if (!File.Exists(Path.Combine(folder, "tokenizer.json")))
            throw new LocalModelException(400, FolderNotAModel, $"'{folder}' has no tokenizer.json: the local weights need the model's own tokenizer.");
        try
        {
            return ModelConfig.Load(folder).ModelType;
        }
        catch (ModelNotSupportedException e)
        {
            throw new LocalModelException(422, UnsupportedArchitecture, e.Message);
        }
        catch (ModelFormatException e)
        {
            throw new LocalModelException(400, FolderNotAModel, $"'{folder}' is not a model folder the engine reads: {e.Message}");
        }
    }

    private async Task<ImportJobRecord> RegisterFolderAsync(string folder, string? name, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(folder))).Substring(0, 16);
        var s3Uri = $"s3://{Bucket}/{key}/";
        var existing = RegisteredFor(s3Uri);
        if (existing is not null) return existing;

        lock (_registering)
        {
            if (RegisteredFor(s3Uri) is { } raced) return raced;
            _context.S3.CreateBucket(Bucket);
            var files = Directory.EnumerateFiles(folder).Take(MaxFiles + 1).ToList();
            if (files.Count > MaxFiles)
                throw new LocalModelException(400, FolderNotAModel, $"'{folder}' has more than {MaxFiles} files; a model folder has a few dozen.");
            foreach (var file in files)
                LinkObject(key + "/" + Path.GetFileName(file), file);
        }

        var outcome = await ImportValidation.RunAsync(_context, s3Uri, maxTotalBytes: null, cancellationToken).ConfigureAwait(false);
        if (outcome.FailureMessage is not null)
            throw new LocalModelException(400, FolderNotAModel, $"'{folder}' would not import: {outcome.FailureMessage}");

        var store = _runtime.Store;
        var now = store.Now;
        var jobId = BedrockIds.NewId();
        var record = new ImportJobRecord
        {
            JobId = jobId,
            JobArn = BedrockIds.JobArnFor(_context.Region, jobId),
            JobName = "local-" + key,
            ImportedModelName = name ?? "local-" + key,
            ImportedModelArn = BedrockIds.ModelArnFor(_context.Region, BedrockIds.NewId()),
            RoleArn = $"arn:aws:iam::{BedrockIds.AccountId}:role/local-models",
            S3Uri = s3Uri,
            CreationTime = now,
            EndTime = now,
            ModelArchitecture = outcome.ModelArchitecture,
            InstructSupported = outcome.InstructSupported,
            CustomModelUnitsPerModelCopy = outcome.CustomModelUnits,
        };
        return store.Add(record, jobs => jobs.FirstOrDefault(j => j.S3Uri == s3Uri && store.ModelExists(j)));
    }

    private ImportJobRecord? RegisteredFor(string s3Uri)
        => _runtime.Store.Jobs().FirstOrDefault(j => j.S3Uri == s3Uri && _runtime.Store.ModelExists(j));

    /// <summary>An S3 object whose data is a hard link to <paramref name="file"/> (a copy where links cannot be made, e.g.
    /// across file systems). Not a symbolic link: the weights loader sizes files without following links. Its ETag is not
    /// the MD5 of the bytes (that would read every weight once): it is derived from the path, size and time of the file,
    /// which is all this private store needs to tell versions apart.</summary>
    private void LinkObject(string key, string file)
    {
        var info = new FileInfo(file);
        var temp = _context.S3.NewTempPath();
        if (!WeightsEngine.HardLink.TryCreate(info.FullName, temp))
            File.Copy(info.FullName, temp, overwrite: true);
        var stamp = $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}";
        _context.S3.Commit(Bucket, temp, new ObjectMetadata
        {
            Key = key,
            Size = info.Length,
            ETag = "\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(stamp))).Substring(0, 32) + "\"",
            LastModified = _context.Clock.GetUtcNow(),
        });
    }

    /// <summary>Starts loading the weights now (the runtime answers ModelNotReadyException until they are in memory), so
    /// the load overlaps whatever the caller does next.</summary>
    private void StartLoading(ImportJobRecord job)
    {
        try
        {
            _runtime.Engine.Acquire(job, _context.Knobs.Current.Bedrock);
        }
        catch (BedrockError)
        {
        }
    }

    private async Task TokenizeAsync(HttpContext http)
    {
        try
        {
            var body = await ReadBodyAsync(http).ConfigureAwait(false);
            var arn = body["modelArn"] is JsonValue a && a.GetValueKind() == JsonValueKind.String ? a.GetValue<string>() : null;
            if (body["texts"] is not JsonArray texts || texts.Count > MaxTexts
                || !texts.All(t => t is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length <= MaxTextChars))
                throw new LocalModelException(400, "InvalidRequest",
                    $"POST /_admin/local-models/tokenize needs {{\"modelArn\", \"texts\": at most {MaxTexts} strings of at most {MaxTextChars:N0} characters}}.");
            var job = _runtime.Store.Jobs().FirstOrDefault(j => j.ImportedModelArn == arn && j.S3Uri.StartsWith($"s3://{Bucket}/", StringComparison.Ordinal)
                                                                && _runtime.Store.ModelExists(j))
                      ?? throw new LocalModelException(404, ModelNotFound, $"No model folder is registered here as '{arn}'.");
            var tokenizer = TokenizerOf(job);
            var tokens = new JsonArray();
            foreach (var text in texts)
                tokens.Add(new JsonArray(tokenizer.Encode(text!.GetValue<string>(), addSpecialTokens: false).Select(id => (JsonNode)id).ToArray()));
            await WriteJsonAsync(http, 200, new JsonObject { ["tokens"] = tokens }).ConfigureAwait(false);
        }
        catch (LocalModelException e)
        {
            await WriteErrorAsync(http, e).ConfigureAwait(false);
        }
    }

    /// <summary>The tokenizer of a registered model, read from its own folder once.</summary>
    private ModelTokenizer TokenizerOf(ImportJobRecord job)
    {
        // The object's data is the folder's own tokenizer.json (a link to it); the encoder needs that file only.
        var prefix = job.S3Uri.Substring($"s3://{Bucket}/".Length);
        var lazy = _tokenizers.GetOrAdd(job.ImportedModelArn,
            _ => new Lazy<ModelTokenizer>(() => ModelTokenizer.Load(_context.S3.DataPath(Bucket, prefix + "tokenizer.json"))));
        try
        {
            return lazy.Value;
        }
        catch (Exception e) when (e is TokenizerFormatException or IOException)
        {
            _tokenizers.TryRemove(job.ImportedModelArn, out _);
            throw new LocalModelException(400, FolderNotAModel, "The model's tokenizer.json could not be read: " + e.Message);
        }
    }

    private static async Task<JsonObject> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxRequestBytes)
            throw new LocalModelException(413, "InvalidRequest", $"The request body is larger than {MaxRequestBytes:N0} bytes.");
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted).ConfigureAwait(false);
        if (buffer.Length > MaxRequestBytes)
            throw new LocalModelException(413, "InvalidRequest", $"The request body is larger than {MaxRequestBytes:N0} bytes.");
        try
        {
            return JsonNode.Parse(buffer.ToArray()) as JsonObject
                   ?? throw new LocalModelException(400, "InvalidRequest", "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new LocalModelException(400, "InvalidRequest", "The request body is not JSON: " + e.Message);
        }
    }

    private static Task WriteErrorAsync(HttpContext http, LocalModelException e)
        => WriteJsonAsync(http, e.Status, new JsonObject { ["code"] = e.Code, ["message"] = e.Message });

    private static async Task WriteJsonAsync(HttpContext http, int status, JsonObject json)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(json.ToJsonString(), http.RequestAborted).ConfigureAwait(false);
    }
}

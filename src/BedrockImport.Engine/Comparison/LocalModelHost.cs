using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.LocalEndpoint;

namespace BedrockImport.Engine.Comparison;

/// <summary>The local side of Compare-ImportedModel: a private local endpoint (its own process, its own temporary data
/// folder, knobs bedrock.engine = "weights") that serves one model folder as an imported model and encodes text with
/// that folder's tokenizer.json. Disposing stops the process and deletes the data folder.</summary>
public sealed class LocalModelHost : IAsyncDisposable
{
    private readonly LocalEndpointInfo _endpoint;
    private readonly HttpClient _http;
    private readonly string _dataPath;

    private LocalModelHost(LocalEndpointInfo endpoint, string dataPath)
    {
        _endpoint = endpoint;
        _dataPath = dataPath;
        _http = new HttpClient { BaseAddress = new Uri(endpoint.EndpointUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(5) };
    }

    /// <summary>The imported-model ARN the private endpoint answers with the folder's weights.</summary>
    public string ModelArn { get; private set; } = "";

    /// <summary>The architecture the folder's config names (model_type).</summary>
    public string? ModelArchitecture { get; private set; }

    /// <summary>A session for the private endpoint: its test keys, its region, its URL; nothing read from this
    /// process's environment or profiles, so no real credential can reach it.</summary>
    public AwsSession Session { get; private set; } = null!;

    /// <summary>Starts the endpoint in <paramref name="endpointAssembly"/> and registers <paramref name="folder"/>
    /// (an absolute path) with it. Refusals of the folder are <see cref="LocalModelException"/>s.</summary>
    public static async Task<LocalModelHost> StartAsync(string endpointAssembly, string folder, IEngineLog log,
        TimeSpan startTimeout, CancellationToken cancellationToken)
    {
        var dataPath = Path.Combine(Path.GetTempPath(), "bedrockimport-compare-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Directory.CreateDirectory(dataPath);
        var knobsPath = Path.Combine(dataPath, "knobs.json");
        File.WriteAllText(knobsPath, new JsonObject
        {
            ["bedrock"] = new JsonObject { ["engine"] = "weights", ["engineIdleEvictMs"] = 0 },
        }.ToJsonString());
        LocalEndpointInfo endpoint;
        try
        {
            endpoint = await LocalEndpointProcess.StartAsync(endpointAssembly, 0, Path.Combine(dataPath, "data"), knobsPath,
                startTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            TryDelete(dataPath);
            throw;
        }

        var host = new LocalModelHost(endpoint, dataPath);
        try
        {
            log.Verbose($"Local weights endpoint on {endpoint.EndpointUrl} (process {endpoint.ProcessId}); registering '{folder}'.");
            host.Session = AwsSessionResolver.Resolve(new CredentialRequest
            {
                AccessKey = endpoint.AccessKey,
                SecretKey = endpoint.SecretKey,
                Region = endpoint.Region,
                EndpointUrl = endpoint.EndpointUrl,
            }, NoEnvironment.Instance, log);
            var registered = await host.PostAsync("_admin/local-models", new JsonObject { ["path"] = folder }, cancellationToken).ConfigureAwait(false);
            host.ModelArn = registered["modelArn"]?.GetValue<string>() ?? throw new LocalModelException(LocalModelException.LocalEngineFailed,
                "The local endpoint registered the folder but answered no model ARN.");
            host.ModelArchitecture = registered["modelArchitecture"]?.GetValue<string>();
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Each text's ids under the folder's tokenizer.json, without special tokens.</summary>
    public async Task<IReadOnlyList<IReadOnlyList<int>>> TokenizeAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var answer = await PostAsync("_admin/local-models/tokenize",
            new JsonObject { ["modelArn"] = ModelArn, ["texts"] = new JsonArray(texts.Select(t => (JsonNode?)t).ToArray()) },
            cancellationToken).ConfigureAwait(false);
        if (answer["tokens"] is not JsonArray lists || lists.Count != texts.Count)
        {
            throw new LocalModelException(LocalModelException.LocalEngineFailed, "The local endpoint's tokenize answer has no token list per text.");
        }

        return lists.Select(list => (IReadOnlyList<int>)(list as JsonArray ?? new JsonArray()).Select(id => id!.GetValue<int>()).ToList()).ToList();
    }

    private async Task<JsonObject> PostAsync(string path, JsonObject body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(path, content, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        JsonObject? json;
        try
        {
            json = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            json = null;
        }

        if (!response.IsSuccessStatusCode)
        {
            var code = json?["code"]?.GetValue<string>();
            var message = json?["message"]?.GetValue<string>() ?? $"HTTP {(int)response.StatusCode}";
            throw new LocalModelException(code is LocalModelException.FolderNotAModel or LocalModelException.UnsupportedArchitecture
                ? code : LocalModelException.LocalEngineFailed, message);
        }

        return json ?? throw new LocalModelException(LocalModelException.LocalEngineFailed, $"The local endpoint answered {path} with no JSON object.");
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        LocalEndpointProcess.Stop(_endpoint.ProcessId);
        TryDelete(_dataPath);
        return default;
    }

    private static void TryDelete(string path)
    {
        // The endpoint may still hold files for a moment after it is killed; a leftover temp folder is no error.
        for (var attempt = 0; attempt < 5 && Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }

    private sealed class NoEnvironment : IEnvironment
    {
        public static readonly NoEnvironment Instance = new NoEnvironment();

        public string? Get(string name) => null;
    }
}

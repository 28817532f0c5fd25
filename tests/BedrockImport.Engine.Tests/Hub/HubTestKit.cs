using System.Security.Cryptography;
using BedrockImport.Engine.Hub;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Tests.Credentials;
using BedrockImport.Engine.Tests.Wire;
using BedrockImport.Engine.Wire;
using BedrockImport.LocalEndpoint;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.Hub;

namespace BedrockImport.Engine.Tests.Hub;

/// <summary>An in-process local endpoint on 127.0.0.1 whose Hub mirror serves repositories written with SyntheticModel.</summary>
internal sealed class HubTestKit : IAsyncDisposable
{
    public const string GoodToken = "hf_kitgoodtoken0123456789";

    private HubTestKit(LocalEndpointServer server, string root)
    {
        Server = server;
        Root = root;
    }

    public LocalEndpointServer Server { get; }
    public string Root { get; }
    public HubMirror Mirror => Server.Hub;
    public InstantTimeProvider Time { get; } = new();
    public Wire.RecordingLog Log { get; } = new();

    public static async Task<HubTestKit> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "bi-hub-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var server = await LocalEndpointServer.StartAsync(new LocalEndpointOptions { Port = 0, DataDirectory = root });
        return new HubTestKit(server, root);
    }

    public string RepoFolder(string repo) => Path.Combine(Root, "hub", repo.Replace('/', Path.DirectorySeparatorChar));

    public SyntheticModelInfo AddRepo(string repo, string settingsJson = null, SyntheticModelOptions options = null)
    {
        var info = SyntheticModel.Write(RepoFolder(repo), options ?? new SyntheticModelOptions { ShardCount = 2 });
        if (settingsJson is not null)
            File.WriteAllText(Path.Combine(RepoFolder(repo), HubRepositorySettings.FileName), settingsJson);
        return info;
    }

    public static string GatedSettings => "{\"gated\":true,\"tokens\":[\"" + GoodToken + "\"]}";
    public static string PrivateSettings => "{\"private\":true,\"tokens\":[\"" + GoodToken + "\"]}";

    public static RetryOptions FastRetry(int maxAttempts = 4) => new()
    {
        MaxAttempts = maxAttempts,
        ThrottleBaseDelay = TimeSpan.FromMilliseconds(100),
        TransientBaseDelay = TimeSpan.FromMilliseconds(10),
        MaxDelay = TimeSpan.FromSeconds(20),
    };

    /// <summary>A client of the mirror with an empty environment (the process's HF_TOKEN never leaks in) and an instant clock.</summary>
    public HubClient Client(string token = null, FakeEnvironment environment = null, RetryOptions retry = null, HttpMessageHandler handler = null)
    {
        var options = new HubClientOptions
        {
            Endpoint = Server.BaseUrl,
            Token = token,
            Environment = environment ?? new FakeEnvironment(),
            Log = Log,
        };
        return new HubClient(options, new RetryPolicy(retry ?? FastRetry(), Log, Time, () => 0.5), handler);
    }

    public void SetKnobs(Action<global::BedrockImport.LocalEndpoint.Knobs.Knobs> change)
    {
        var knobs = global::BedrockImport.LocalEndpoint.Knobs.KnobStore.Deserialize(global::BedrockImport.LocalEndpoint.Knobs.KnobStore.Serialize(Server.Knobs.Current));
        change(knobs);
        Server.Knobs.Set(knobs);
    }

    public static string Sha256Hex(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using (stream)
        {
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

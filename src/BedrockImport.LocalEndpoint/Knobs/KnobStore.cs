using System.Text.Json;
using BedrockImport.Engine.Json;

namespace BedrockImport.LocalEndpoint.Knobs;

/// <summary>Holds the current knobs; changes through /_admin/knobs are persisted in the data directory.</summary>
public sealed class KnobStore
{
    private readonly string _path;
    private volatile Knobs _current;

    internal KnobStore(string dataDirectory, Knobs? fromConfig)
    {
        _path = Path.Combine(dataDirectory, "knobs.json");
        _current = fromConfig ?? Load(_path) ?? new Knobs();
    }

    /// <summary>A snapshot; never mutate it, call Set with a new instance.</summary>
    public Knobs Current => _current;

    /// <summary>Raised after the knobs changed (the fault injector restarts its sequences from the seed).</summary>
    public event Action<Knobs>? Changed;

    public void Set(Knobs knobs)
    {
        ArgumentNullException.ThrowIfNull(knobs);
        var tmp = _path + ".tmp";
        File.WriteAllText(tmp, Serialize(knobs));
        File.Move(tmp, _path, overwrite: true);
        _current = knobs;
        Changed?.Invoke(knobs);
    }

    public static string Serialize(Knobs knobs) => JsonSerializer.Serialize(knobs, JsonOptions);

    public static Knobs Deserialize(string json) => JsonSerializer.Deserialize<Knobs>(json, JsonOptions) ?? new Knobs();

    internal static JsonSerializerOptions JsonOptions => EngineJson.Options;

    private static Knobs? Load(string path) => File.Exists(path) ? Deserialize(File.ReadAllText(path)) : null;
}

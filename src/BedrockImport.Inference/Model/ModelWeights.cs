using System.Text.Json;
using BedrockImport.Shared;

namespace BedrockImport.Inference.Model;

/// <summary>The tensors of a model folder: the shards named by model.safetensors.index.json, or the folder's single
/// model.safetensors. Every shard is memory-mapped once; tensors point into the mappings.</summary>
public sealed class ModelWeights : IDisposable
{
    public const string IndexFileName = "model.safetensors.index.json";
    public const string SingleFileName = "model.safetensors";

    private readonly List<SafetensorsFile> shards = new();
    private readonly Dictionary<string, SafetensorsFile> shardOfTensor = new(StringComparer.Ordinal);

    private ModelWeights()
    {
    }

    /// <summary>Bytes of all mapped shards (what the model costs in memory once its pages are touched).</summary>
    public long MappedBytes { get; private set; }

    public IReadOnlyCollection<string> TensorNames => shardOfTensor.Keys;

    public static ModelWeights Open(string folder)
    {
        var weights = new ModelWeights();
        try
        {
            string indexPath = Path.Combine(folder, IndexFileName);
            if (File.Exists(indexPath))
            {
                weights.OpenIndexed(folder, indexPath);
            }
            else if (File.Exists(Path.Combine(folder, SingleFileName)))
            {
                weights.AddShard(Path.Combine(folder, SingleFileName), null);
            }
            else
            {
                throw new ModelFormatException("the model folder has neither " + IndexFileName + " nor " + SingleFileName);
            }
            return weights;
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => shardOfTensor.ContainsKey(name);

    public WeightTensor Get(string name)
    {
        if (!shardOfTensor.TryGetValue(name, out var shard))
        {
            throw new ModelFormatException((shards.Count == 1 ? Path.GetFileName(shards[0].Path) : IndexFileName) + " has no tensor named " + name);
        }
        return shard.Get(name);
    }

    /// <summary>Null while every shard is as it was mapped; else what changed (see <see cref="SafetensorsFile.Changed"/>).
    /// A few file-status calls per shard: cheap enough before each request and between generated tokens.</summary>
    public string? Changed()
    {
        foreach (var shard in shards)
        {
            if (shard.Changed() is { } change)
            {
                return change;
            }
        }
        return null;
    }

    public WeightTensor? TryGet(string name) => shardOfTensor.TryGetValue(name, out var shard) ? shard.Get(name) : null;

    private void OpenIndexed(string folder, string indexPath)
    {
        var namesOfShard = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        try
        {
            using var index = StrictJson.Parse(File.ReadAllBytes(indexPath));
            if (index.RootElement.ValueKind != JsonValueKind.Object
                || !index.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(IndexFileName + " has no weight_map object");
            }
            foreach (var entry in map.EnumerateObject())
            {
                string? shardName = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString() : null;
                // A shard is a file beside the index: no folders, no way out of the model folder.
                if (string.IsNullOrEmpty(shardName) || shardName != Path.GetFileName(shardName) || shardName == "." || shardName == ".."
                    || shardName.Contains('/') || shardName.Contains('\\') || !shardName.EndsWith(".safetensors", StringComparison.Ordinal))
                {
                    throw new ModelFormatException(IndexFileName + " maps " + entry.Name + " to a shard that is not a .safetensors file name beside it");
                }
                if (!namesOfShard.TryGetValue(shardName, out var names))
                {
                    namesOfShard[shardName] = names = new List<string>();
                }
                names.Add(entry.Name);
            }
        }
        catch (JsonException exception)
        {
            throw new ModelFormatException(IndexFileName + " is not JSON (" + exception.Message + ")");
        }
        foreach (var (shardName, names) in namesOfShard)
        {
            string shardPath = Path.Combine(folder, shardName);
            if (!File.Exists(shardPath))
            {
                throw new ModelFormatException(IndexFileName + " names a shard " + shardName + " that is not in the folder");
            }
            AddShard(shardPath, names);
        }
    }

    private void AddShard(string path, List<string>? expectedNames)
    {
        var shard = SafetensorsFile.Open(path);
        shards.Add(shard);
        MappedBytes += shard.Length;
        CheckDtypeAgainstOtherShards(shard);
        IEnumerable<string> names = expectedNames ?? (IEnumerable<string>)shard.TensorNames;
        foreach (var name in names)
        {
            if (!shard.Contains(name))
            {
                throw new ModelFormatException(IndexFileName + " puts " + name + " in " + Path.GetFileName(path) + ", whose header has no such tensor");
            }
            shardOfTensor[name] = shard;
        }
    }

    private (string File, Dictionary<string, string> TensorOfDtype)? firstShardMatrices;

    /// <summary>The shards of one checkpoint are written in one dtype: a shard with a weight matrix in a dtype the first
    /// shard's matrices do not have (a shard swapped in from another export) is refused, naming both files and tensors.
    /// Vectors (norms, biases) may differ, as some exports keep them in f32.</summary>
    private void CheckDtypeAgainstOtherShards(SafetensorsFile shard)
    {
        string fileName = Path.GetFileName(shard.Path);
        var tensorOfDtype = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, dtype) in shard.DtypeOfTensor.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (shard.RankOfTensor[name] == 2)
            {
                tensorOfDtype.TryAdd(dtype, name);
            }
        }
        if (tensorOfDtype.Count == 0)
        {
            return;
        }
        if (firstShardMatrices is not { } first)
        {
            firstShardMatrices = (fileName, tensorOfDtype);
            return;
        }
        foreach (var (dtype, name) in tensorOfDtype)
        {
            if (!first.TensorOfDtype.ContainsKey(dtype))
            {
                var (firstDtype, firstTensor) = first.TensorOfDtype.First();
                throw new ModelFormatException(fileName + ": tensor " + name + " is " + dtype + " but " + first.File + " has " + firstTensor + " as " + firstDtype
                    + " (the shards of a model must share one dtype)");
            }
        }
    }

    public void Dispose()
    {
        foreach (var shard in shards)
        {
            shard.Dispose();
        }
        shards.Clear();
        shardOfTensor.Clear();
    }
}

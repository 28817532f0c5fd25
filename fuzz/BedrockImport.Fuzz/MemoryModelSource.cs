using BedrockImport.Engine.Sources;

namespace BedrockImport.Fuzz;

/// <summary>A model folder held in memory, for the validator and the safetensors header reader.</summary>
public sealed class MemoryModelSource : IModelSource
{
    private readonly IReadOnlyDictionary<string, byte[]> _files;

    public MemoryModelSource(IReadOnlyDictionary<string, byte[]> files) => _files = files;

    public string Location => "memory://fuzz/";

    public bool IsLocal => true;

    public Task<IReadOnlyList<ModelSourceFile>> ListFilesAsync(CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<ModelSourceFile>>(_files.OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => new ModelSourceFile(f.Key, f.Value.Length)).ToList());

    public Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
    {
        var bytes = _files[path];
        var start = (int)Math.Min(offset, bytes.Length);
        var count = (int)Math.Min(length, bytes.Length - start);
        return Task.FromResult<Stream>(new MemoryStream(bytes, start, count, writable: false));
    }
}

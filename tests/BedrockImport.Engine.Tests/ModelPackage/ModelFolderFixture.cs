using BedrockImport.Engine.Sources;

namespace BedrockImport.Engine.Tests.ModelPackage;

/// <summary>A temporary folder deleted after the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bi-mp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A source that adds virtual files (listed, never read) to a real folder, and records every range read.</summary>
internal sealed class RecordingSource : IModelSource
{
    private readonly LocalFolderSource _inner;
    private readonly List<ModelSourceFile> _virtualFiles;

    public RecordingSource(string folder, params ModelSourceFile[] virtualFiles)
    {
        _inner = new LocalFolderSource(folder);
        _virtualFiles = virtualFiles.ToList();
    }

    public List<(string Path, long Offset, long Length)> Reads { get; } = new();

    public string Location => _inner.Location;

    public bool IsLocal => _inner.IsLocal;

    public async Task<IReadOnlyList<ModelSourceFile>> ListFilesAsync(CancellationToken cancellationToken)
    {
        var files = await _inner.ListFilesAsync(cancellationToken);
        return files.Concat(_virtualFiles).ToList();
    }

    public Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
    {
        if (_virtualFiles.Any(f => f.Path == path)) throw new InvalidOperationException("The validator read a file it should only list: " + path);
        lock (Reads) Reads.Add((path, offset, length));
        return _inner.OpenRangeAsync(path, offset, length, cancellationToken);
    }
}

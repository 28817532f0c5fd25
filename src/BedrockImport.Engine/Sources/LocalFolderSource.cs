namespace BedrockImport.Engine.Sources;

/// <summary>A model folder on the local disk.</summary>
public sealed class LocalFolderSource : IModelSource
{
    private readonly string _root;

    public LocalFolderSource(string folder)
    {
        if (string.IsNullOrEmpty(folder)) throw new ArgumentException("A folder path is required.", nameof(folder));
        _root = Path.GetFullPath(folder);
    }

    /// <summary>The full path of the folder.</summary>
    public string Location => _root;

    public bool IsLocal => true;

    /// <summary>Every regular file under the folder, following file symlinks but not folder symlinks (a folder link could
    /// loop or leave the folder).</summary>
    public Task<IReadOnlyList<ModelSourceFile>> ListFilesAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_root))
            throw new DirectoryNotFoundException("The model folder '" + _root + "' does not exist.");
        var files = new List<ModelSourceFile>();
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(_root));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var entry in pending.Pop().EnumerateFileSystemInfos())
            {
                var isLink = (entry.Attributes & FileAttributes.ReparsePoint) != 0;
                if (entry is DirectoryInfo subfolder)
                {
                    if (!isLink) pending.Push(subfolder);
                    continue;
                }

                var relative = entry.FullName.Substring(_root.Length).TrimStart(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)
                    .Replace(Path.DirectorySeparatorChar, '/');
                files.Add(new ModelSourceFile(relative, isLink ? LinkTargetLength(entry.FullName) : ((FileInfo)entry).Length));
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return Task.FromResult<IReadOnlyList<ModelSourceFile>>(files);
    }

    public Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
    {
        if (offset < 0) throw new ArgumentOutOfRangeException(nameof(offset));
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
        var full = Path.GetFullPath(Path.Combine(_root, path.Replace('/', Path.DirectorySeparatorChar)));
        var rootWithSeparator = _root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSeparator, StringComparison.Ordinal))
            throw new ArgumentException("The path '" + path + "' leaves the model folder.", nameof(path));
        // No FileStream buffer: parts are read in large blocks straight into the uploader's buffers.
        var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        stream.Seek(offset, SeekOrigin.Begin);
        return Task.FromResult<Stream>(new RangeStream(stream, length));
    }

    /// <summary>The size of the file a symlink points to (the link's own attributes give the link's size).</summary>
    private static long LinkTargetLength(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        return stream.Length;
    }

    /// <summary>Reads at most a given number of bytes from an inner stream, and owns it.</summary>
    private sealed class RangeStream : BedrockImport.Engine.IO.ReadOnlyForwardStream
    {
        private readonly Stream _inner;
        private long _remaining;

        public RangeStream(Stream inner, long length)
        {
            _inner = inner;
            _remaining = length;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_remaining <= 0) return 0;
            var read = _inner.Read(buffer, offset, (int)Math.Min(count, _remaining));
            _remaining -= read;
            return read;
        }

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            if (_remaining <= 0) return 0;
            var read = await _inner.ReadAsync(buffer, offset, (int)Math.Min(count, _remaining), cancellationToken).ConfigureAwait(false);
            _remaining -= read;
            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

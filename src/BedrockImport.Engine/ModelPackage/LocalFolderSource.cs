using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace BedrockImport.Engine.ModelPackage
{
    /// <summary>A model folder on the local disk.</summary>
    public sealed class LocalFolderSource : IModelFileSource
    {
        private readonly string _root;

        public LocalFolderSource(string folder)
        {
            if (string.IsNullOrEmpty(folder)) throw new ArgumentException("A folder path is required.", nameof(folder));
            _root = Path.GetFullPath(folder);
        }

        public string Location => _root;

        public Task<IReadOnlyList<ModelFileEntry>> ListFilesAsync(CancellationToken cancellationToken)
        {
            if (!Directory.Exists(_root))
                throw new DirectoryNotFoundException("The model folder '" + _root + "' does not exist.");
            var prefixLength = _root.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Length + 1;
            IReadOnlyList<ModelFileEntry> files = Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
                .Select(f => new ModelFileEntry(f.Substring(prefixLength).Replace(Path.DirectorySeparatorChar, '/'), new FileInfo(f).Length))
                .OrderBy(f => f.Path, StringComparer.Ordinal)
                .ToList();
            return Task.FromResult(files);
        }

        public Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
        {
            if (offset < 0) throw new ArgumentOutOfRangeException(nameof(offset));
            if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
            var full = Path.GetFullPath(Path.Combine(_root, path.Replace('/', Path.DirectorySeparatorChar)));
            var rootWithSeparator = _root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
            if (!full.StartsWith(rootWithSeparator, StringComparison.Ordinal))
                throw new ArgumentException("The path '" + path + "' leaves the model folder.", nameof(path));
            var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
            stream.Seek(offset, SeekOrigin.Begin);
            return Task.FromResult<Stream>(new RangeStream(stream, length));
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
}

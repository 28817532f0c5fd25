using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace BedrockImport.Engine.ModelPackage
{
    /// <summary>One file of a model folder. Path is relative to the folder, with '/' separators.</summary>
    public sealed class ModelFileEntry
    {
        public ModelFileEntry(string path, long length)
        {
            Path = path;
            Length = length;
        }

        public string Path { get; }
        public long Length { get; }

        /// <summary>The last path segment.</summary>
        public string Name => Path.Substring(Path.LastIndexOf('/') + 1);

        public override string ToString() => Path + " (" + Length + " bytes)";
    }

    /// <summary>A model folder the validator can read by byte ranges: a local folder, an S3 prefix, a Hub repository.
    /// Only the headers and the small JSON files are read, so a remote source needs a few ranged GETs.</summary>
    public interface IModelFileSource
    {
        /// <summary>Where the folder is, for messages (e.g. a path or s3://bucket/prefix/).</summary>
        string Location { get; }

        /// <summary>Every file under the folder (recursively), paths relative to it.</summary>
        Task<IReadOnlyList<ModelFileEntry>> ListFilesAsync(CancellationToken cancellationToken);

        /// <summary>Opens bytes [offset, offset+length) of a file. The stream may return fewer bytes if the file is shorter.</summary>
        Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken);
    }
}

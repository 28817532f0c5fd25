using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using BedrockImport.Engine.Hub;

namespace BedrockImport.Engine.Transfer
{
    /// <summary>One file to upload: where it is in the source and what the source already knows about its content.</summary>
    internal sealed class SourceFile
    {
        public SourceFile(string relativePath, long size, string? sha256Hex = null, string? blobId = null, string? localPath = null)
        {
            RelativePath = relativePath;
            Size = size;
            Sha256Hex = sha256Hex;
            BlobId = blobId;
            LocalPath = localPath;
        }

        /// <summary>'/' separators, no leading slash.</summary>
        public string RelativePath { get; }
        public long Size { get; }
        /// <summary>Lower-case hex SHA-256 of the whole content when the source knows it without reading (Hub LFS files).</summary>
        public string? Sha256Hex { get; }
        /// <summary>The git blob id (Hub files; for LFS files the pointer's).</summary>
        public string? BlobId { get; }
        /// <summary>The full path of a local file; null for remote sources.</summary>
        public string? LocalPath { get; }
    }

    /// <summary>Where ModelUploader reads from: the file list and byte ranges of each file.</summary>
    internal interface IUploadSource
    {
        /// <summary>For messages: a folder path or a Hub URL pinned to its commit.</summary>
        string Location { get; }

        /// <summary>True for a local folder: re-reading is cheap, so skip and resume compare recomputed SHA-256s (and reads are not retried).
        /// False for a remote source: skip compares object metadata, interrupted uploads are aborted, and reads are retried by re-opening the range.</summary>
        bool IsLocal { get; }

        Task<IReadOnlyList<SourceFile>> ListFilesAsync(CancellationToken cancellationToken);

        /// <summary>Bytes [offset, offset+length) of a file; a fresh stream per call (a retried read calls this again).</summary>
        Task<Stream> OpenRangeAsync(SourceFile file, long offset, long length, CancellationToken cancellationToken);

        /// <summary>User metadata stored with the object so a rerun can recognise it without reading the source again.</summary>
        IReadOnlyDictionary<string, string> MetadataFor(SourceFile file);

        /// <summary>True when the object's metadata shows it holds this file's content (remote sources only).</summary>
        bool MatchesMetadata(SourceFile file, Func<string, string?> metadata);
    }

    internal sealed class LocalFolderUploadSource : IUploadSource
    {
        private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();
        private readonly string _folder;
        private readonly Func<string, bool>? _filter;

        public LocalFolderUploadSource(string folder, Func<string, bool>? filter)
        {
            _folder = folder;
            _filter = filter;
        }

        public string Location => _folder;

        public bool IsLocal => true;

        public Task<IReadOnlyList<SourceFile>> ListFilesAsync(CancellationToken cancellationToken)
            => Task.FromResult<IReadOnlyList<SourceFile>>(LocalFiles.Enumerate(_folder, _filter)
                .Select(f => new SourceFile(f.RelativePath, f.Size, localPath: f.FullPath)).ToList());

        public Task<Stream> OpenRangeAsync(SourceFile file, long offset, long length, CancellationToken cancellationToken)
        {
            var stream = new FileStream(file.LocalPath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            stream.Seek(offset, SeekOrigin.Begin);
            return Task.FromResult<Stream>(stream);
        }

        public IReadOnlyDictionary<string, string> MetadataFor(SourceFile file) => NoMetadata;

        public bool MatchesMetadata(SourceFile file, Func<string, string?> metadata) => false;
    }

    /// <summary>A Hub repository pinned to one commit. Nothing touches the local file system: parts are ranged GETs into memory.</summary>
    internal sealed class HubUploadSource : IUploadSource
    {
        private readonly HubModelSource _hub;
        private readonly Func<string, bool>? _filter;
        private HubRevision? _revision;

        public HubUploadSource(HubModelSource hub, Func<string, bool>? filter)
        {
            _hub = hub;
            _filter = filter;
        }

        public string Location => _hub.Location;

        public bool IsLocal => false;

        public async Task<IReadOnlyList<SourceFile>> ListFilesAsync(CancellationToken cancellationToken)
        {
            _revision = await _hub.ResolveAsync(cancellationToken).ConfigureAwait(false);
            var filter = _filter ?? LocalFiles.IsVisible;
            return _revision.Files.Where(f => filter(f.Path)).Select(f => new SourceFile(f.Path, f.Size, f.Sha256, f.BlobId)).ToList();
        }

        public Task<Stream> OpenRangeAsync(SourceFile file, long offset, long length, CancellationToken cancellationToken)
            => _hub.OpenRangeAsync(file.RelativePath, offset, length, cancellationToken);

        public IReadOnlyDictionary<string, string> MetadataFor(SourceFile file)
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [UploadMetadata.HubRepository] = _revision!.RepoId,
                [UploadMetadata.HubCommit] = _revision.Sha,
            };
            if (file.Sha256Hex != null)
            {
                metadata[UploadMetadata.Sha256] = file.Sha256Hex;
            }

            if (file.BlobId != null)
            {
                metadata[UploadMetadata.HubBlobId] = file.BlobId;
            }

            return metadata;
        }

        /// <summary>LFS files: the stored sha256 equals the LFS sha256. Other (small) files: the stored git blob id equals the
        /// file's, which is a hash of the content too (sha1 over "blob SIZE\0" + bytes). The size is compared by the caller.</summary>
        public bool MatchesMetadata(SourceFile file, Func<string, string?> metadata)
        {
            if (file.Sha256Hex != null)
            {
                return string.Equals(metadata(UploadMetadata.Sha256), file.Sha256Hex, StringComparison.OrdinalIgnoreCase);
            }

            return file.BlobId != null && string.Equals(metadata(UploadMetadata.HubBlobId), file.BlobId, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>The user metadata keys (x-amz-meta-*) ModelUploader writes.</summary>
    public static class UploadMetadata
    {
        /// <summary>The part size, so a rerun can recompute the composite SHA-256 S3 holds for a multipart object.</summary>
        public const string PartSize = "bedrockimport-partsize";
        /// <summary>Hex SHA-256 of the whole object, when the source knew it (Hub LFS files).</summary>
        public const string Sha256 = "bedrockimport-sha256";
        public const string HubRepository = "hf-repo";
        /// <summary>The 40-hex commit the object was copied from.</summary>
        public const string HubCommit = "hf-commit";
        /// <summary>The git blob id of the file at that commit.</summary>
        public const string HubBlobId = "hf-blob-id";
    }
}

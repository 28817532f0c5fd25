using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using BedrockImport.Engine.ModelPackage;

namespace BedrockImport.Engine.Hub
{
    /// <summary>A Hub model repository as a model folder for the validator (Test-BedrockModelSource -HuggingFaceModel):
    /// the revision is pinned to its commit on first use, files are listed from the tree API and read by ranged GETs,
    /// so validating a multi-gigabyte model reads only its JSON files and safetensors headers.</summary>
    public sealed class HubModelSource : IModelFileSource
    {
        private readonly HubClient _client;
        private readonly SemaphoreSlim _resolveLock = new SemaphoreSlim(1, 1);
        private HubRevision? _revision;

        /// <param name="revision">Branch, tag or sha; null is "main".</param>
        public HubModelSource(HubClient client, string repoId, string? revision = null)
            : this(client, new HubModelReference(repoId, revision))
        {
        }

        public HubModelSource(HubClient client, HubModelReference reference)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            Reference = reference ?? throw new ArgumentNullException(nameof(reference));
        }

        public HubModelReference Reference { get; }

        /// <summary>The pinned commit and its files, once resolved.</summary>
        public HubRevision? Revision => _revision;

        public string Location => _client.Endpoint.AbsoluteUri + Reference.RepoId
            + (_revision != null ? "/tree/" + _revision.Sha : Reference.Revision != null ? "/tree/" + Reference.Revision : "");

        /// <summary>Pins the revision to its commit (once; later calls return the same commit).</summary>
        public async Task<HubRevision> ResolveAsync(CancellationToken cancellationToken)
        {
            if (_revision != null)
            {
                return _revision;
            }

            await _resolveLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return _revision ??= await _client.ResolveRevisionAsync(Reference.RepoId, Reference.Revision, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _resolveLock.Release();
            }
        }

        public async Task<IReadOnlyList<ModelFileEntry>> ListFilesAsync(CancellationToken cancellationToken)
        {
            var revision = await ResolveAsync(cancellationToken).ConfigureAwait(false);
            return revision.Files.Select(f => new ModelFileEntry(f.Path, f.Size)).ToList();
        }

        public async Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
        {
            if (offset < 0) throw new ArgumentOutOfRangeException(nameof(offset));
            if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
            var revision = await ResolveAsync(cancellationToken).ConfigureAwait(false);
            var file = revision.Find(path);
            if (file != null)
            {
                // Clamp to the listed size: a range past the end would be answered 416.
                length = Math.Max(0, Math.Min(length, file.Size - offset));
            }

            return await _client.OpenRangeAsync(revision.RepoId, revision.Sha, path, offset, length, cancellationToken).ConfigureAwait(false);
        }

        public override string ToString() => Location;
    }
}

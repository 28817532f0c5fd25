using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using BedrockImport.Engine.Json;

namespace BedrockImport.LocalEndpoint.S3;

/// <summary>An object as other services see it (the Bedrock import job reads model files through this).</summary>
public sealed record S3ObjectInfo(string Bucket, string Key, long Size, string ETag, DateTimeOffset LastModified, string ContentType);

/// <summary>Sidecar metadata of a stored object (JSON next to the data file).</summary>
internal sealed class ObjectMetadata
{
    public string Key { get; set; } = "";
    public long Size { get; set; }
    public string ETag { get; set; } = "";
    public DateTimeOffset LastModified { get; set; }
    public string ContentType { get; set; } = "application/octet-stream";
    /// <summary>Algorithm (CRC32, SHA256, ...) → base64 value (multipart composite values end in -N).</summary>
    public Dictionary<string, string> Checksums { get; set; } = new();
    public string? ChecksumType { get; set; }
    public Dictionary<string, string> UserMetadata { get; set; } = new();
    /// <summary>Content-Encoding, Content-Disposition, Cache-Control, Content-Language, Expires as sent.</summary>
    public Dictionary<string, string> Headers { get; set; } = new();
    /// <summary>Sizes of the parts of a multipart object (GetObject partNumber).</summary>
    public List<long>? PartSizes { get; set; }
    /// <summary>Per-part checksums of a composite multipart object, in part order.</summary>
    public List<string>? PartChecksums { get; set; }
}

internal sealed class UploadMetadata
{
    public string UploadId { get; set; } = "";
    public string Bucket { get; set; } = "";
    public string Key { get; set; } = "";
    public DateTimeOffset Initiated { get; set; }
    public string ContentType { get; set; } = "application/octet-stream";
    public string? ChecksumAlgorithm { get; set; }
    public string? ChecksumType { get; set; }
    public Dictionary<string, string> UserMetadata { get; set; } = new();
    public Dictionary<string, string> Headers { get; set; } = new();
}

internal sealed class PartMetadata
{
    public int PartNumber { get; set; }
    public long Size { get; set; }
    public string ETag { get; set; } = "";
    public DateTimeOffset LastModified { get; set; }
    public Dictionary<string, string> Checksums { get; set; } = new();
}

internal sealed class S3StoreException : Exception
{
    public S3StoreException(int status, string code, string message, string? resource = null) : base(message)
    {
        Status = status;
        Code = code;
        Resource = resource;
    }

    public int Status { get; }
    public string Code { get; }
    public string? Resource { get; }
}

/// <summary>
/// S3 state on disk: {root}/buckets/{bucket}/bucket.json, objects/{sha256(key)}.data + .json;
/// {root}/uploads/{uploadId}/upload.json + part-N.data/.json; {root}/tmp for bodies being received.
/// Objects are indexed in memory (rebuilt from the sidecars at start).
/// </summary>
public sealed class S3Store
{
    private static readonly Regex BucketNamePattern = new("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", RegexOptions.Compiled);
    private static readonly JsonSerializerOptions Json = EngineJson.Options;

    private readonly string _root;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, BucketState> _buckets = new(StringComparer.Ordinal);

    // A part's commit, an abort and a completion's claim of the same upload take one of these in turn, so an abort that
    // races an UploadPart either finds the part stored or makes the part's commit answer NoSuchUpload, never a 500 and
    // never a folder left behind.
    private readonly object[] _uploadLocks = Enumerable.Range(0, 64).Select(_ => new object()).ToArray();

    internal S3Store(string root, TimeProvider clock)
    {
        _root = root;
        _clock = clock;
        Directory.CreateDirectory(BucketsRoot);
        Directory.CreateDirectory(UploadsRoot);
        Directory.CreateDirectory(TempRoot);
        foreach (var stale in Directory.EnumerateFiles(TempRoot))
            File.Delete(stale);
        RestoreClaimedUploads();
        Load();
    }

    private string BucketsRoot => Path.Combine(_root, "buckets");
    private string UploadsRoot => Path.Combine(_root, "uploads");
    private string TempRoot => Path.Combine(_root, "tmp");

    // ---- public API for other services ----

    public bool BucketExists(string bucket) => _buckets.ContainsKey(bucket);

    /// <summary>Objects whose key starts with prefix, in key order.</summary>
    public IReadOnlyList<S3ObjectInfo> List(string bucket, string prefix = "")
    {
        var state = Bucket(bucket);
        lock (state.Lock)
            return state.Objects.Values.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal))
                .Select(o => Info(bucket, o)).ToList();
    }

    public S3ObjectInfo? Find(string bucket, string key)
    {
        if (!_buckets.TryGetValue(bucket, out var state))
            return null;
        lock (state.Lock)
            return state.Objects.TryGetValue(key, out var meta) ? Info(bucket, meta) : null;
    }

    /// <summary>A seekable read-only stream of the object's bytes (seek for ranges). Throws FileNotFoundException when absent.</summary>
    public Stream OpenRead(string bucket, string key)
    {
        if (Find(bucket, key) is null)
            throw new FileNotFoundException($"No object s3://{bucket}/{key}.");
        return new FileStream(DataPath(bucket, key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 81920, useAsync: true);
    }

    /// <param name="region">The bucket's region (from CreateBucketConfiguration/LocationConstraint); null is the region the
    /// endpoint serves, whatever it is then.</param>
    public void CreateBucket(string bucket, string? region = null)
    {
        ValidateBucketName(bucket);
        _buckets.GetOrAdd(bucket, name =>
        {
            var dir = Path.Combine(BucketsRoot, name);
            Directory.CreateDirectory(Path.Combine(dir, "objects"));
            var created = _clock.GetUtcNow();
            File.WriteAllText(Path.Combine(dir, "bucket.json"), JsonSerializer.Serialize(new BucketFile { Name = name, Created = created, Region = region }, Json));
            return new BucketState(created, region);
        });
    }

    /// <summary>The region the bucket was created in; null when it was created without a location constraint (the served region).</summary>
    public string? BucketRegion(string bucket) => Bucket(bucket).Region;

    /// <summary>Stores an object (for seeding from tests or other services).</summary>
    public async Task<S3ObjectInfo> PutObjectAsync(string bucket, string key, Stream content, string contentType = "application/octet-stream",
        CancellationToken ct = default)
    {
        Bucket(bucket);
        var temp = NewTempPath();
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        long size = 0;
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await content.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                md5.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                size += read;
            }
        }
        var meta = new ObjectMetadata
        {
            Key = key, Size = size, ETag = Quote(Convert.ToHexStringLower(md5.GetHashAndReset())),
            LastModified = _clock.GetUtcNow(), ContentType = contentType,
        };
        Commit(bucket, temp, meta);
        return Info(bucket, meta);
    }

    // ---- internal API for the S3 handler ----

    internal IEnumerable<(string Name, DateTimeOffset Created)> Buckets()
        => _buckets.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => (b.Key, b.Value.Created)).ToList();

    internal void DeleteBucket(string bucket)
    {
        var state = Bucket(bucket);
        lock (state.Lock)
        {
            if (state.Objects.Count > 0 || Uploads(bucket).Any())
                throw new S3StoreException(409, "BucketNotEmpty", "The bucket you tried to delete is not empty", bucket);
            Directory.Delete(Path.Combine(BucketsRoot, bucket), recursive: true);
            _buckets.TryRemove(bucket, out _);
        }
    }

    internal ObjectMetadata? Metadata(string bucket, string key)
    {
        var state = Bucket(bucket);
        lock (state.Lock)
            return state.Objects.TryGetValue(key, out var meta) ? meta : null;
    }

    internal ObjectMetadata RequireMetadata(string bucket, string key)
        => Metadata(bucket, key) ?? throw new S3StoreException(404, "NoSuchKey", "The specified key does not exist.", key);

    /// <summary>Keys (with metadata) after the given key, in order, filtered by prefix.</summary>
    internal List<ObjectMetadata> Snapshot(string bucket, string prefix)
    {
        var state = Bucket(bucket);
        lock (state.Lock)
            return state.Objects.Values.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }

    internal string NewTempPath() => Path.Combine(TempRoot, Guid.NewGuid().ToString("N"));

    /// <summary>Moves a received body into place and records its metadata.</summary>
    internal void Commit(string bucket, string tempDataPath, ObjectMetadata meta)
    {
        var state = Bucket(bucket);
        var basePath = ObjectBasePath(bucket, meta.Key);
        var metaTemp = tempDataPath + ".json";
        File.WriteAllText(metaTemp, JsonSerializer.Serialize(meta, Json));
        lock (state.Lock)
        {
            File.Move(tempDataPath, basePath + ".data", overwrite: true);
            File.Move(metaTemp, basePath + ".json", overwrite: true);
            state.Objects[meta.Key] = meta;
        }
    }

    internal bool Delete(string bucket, string key)
    {
        var state = Bucket(bucket);
        var basePath = ObjectBasePath(bucket, key);
        lock (state.Lock)
        {
            if (!state.Objects.Remove(key))
                return false;
            File.Delete(basePath + ".json");
            File.Delete(basePath + ".data");
            return true;
        }
    }

    internal string DataPath(string bucket, string key) => ObjectBasePath(bucket, key) + ".data";

    // ---- multipart ----

    internal UploadMetadata CreateUpload(UploadMetadata upload)
    {
        Bucket(upload.Bucket);
        upload.UploadId = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        upload.Initiated = _clock.GetUtcNow();
        var dir = Path.Combine(UploadsRoot, upload.UploadId);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "upload.json"), JsonSerializer.Serialize(upload, Json));
        return upload;
    }

    internal UploadMetadata RequireUpload(string bucket, string key, string uploadId)
    {
        var file = UploadIdIsSafe(uploadId) ? Path.Combine(UploadsRoot, uploadId, "upload.json") : null;
        if (file is null || !File.Exists(file))
            throw NoSuchUpload(uploadId);
        var upload = JsonSerializer.Deserialize<UploadMetadata>(File.ReadAllText(file), Json)!;
        if (upload.Bucket != bucket || upload.Key != key)
            throw NoSuchUpload(uploadId);
        return upload;
    }

    internal IEnumerable<UploadMetadata> Uploads(string bucket)
    {
        foreach (var dir in Directory.EnumerateDirectories(UploadsRoot))
        {
            var file = Path.Combine(dir, "upload.json");
            if (!File.Exists(file))
                continue;
            var upload = JsonSerializer.Deserialize<UploadMetadata>(File.ReadAllText(file), Json)!;
            if (upload.Bucket == bucket)
                yield return upload;
        }
    }

    /// <summary>Every open multipart upload of every bucket; uploads that vanish or are half-written while listing are skipped.</summary>
    internal List<UploadMetadata> AllUploads()
    {
        var uploads = new List<UploadMetadata>();
        foreach (var dir in Directory.EnumerateDirectories(UploadsRoot))
        {
            try
            {
                if (JsonSerializer.Deserialize<UploadMetadata>(File.ReadAllText(Path.Combine(dir, "upload.json")), Json) is { } upload)
                    uploads.Add(upload);
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                // Completed, aborted or still being created.
            }
        }
        return uploads;
    }

    internal void CommitPart(string uploadId, string tempDataPath, PartMetadata part)
    {
        var dir = Path.Combine(UploadsRoot, uploadId);
        var metaTemp = tempDataPath + ".json";
        try
        {
            File.WriteAllText(metaTemp, JsonSerializer.Serialize(part, Json));
            lock (UploadLock(uploadId))
            {
                if (!Directory.Exists(dir))
                    throw NoSuchUpload(uploadId);
                File.Move(tempDataPath, Path.Combine(dir, $"part-{part.PartNumber}.data"), overwrite: true);
                File.Move(metaTemp, Path.Combine(dir, $"part-{part.PartNumber}.json"), overwrite: true);
            }
        }
        finally
        {
            File.Delete(metaTemp);
        }
    }

    internal List<PartMetadata> Parts(string uploadId)
    {
        var dir = Path.Combine(UploadsRoot, uploadId);
        lock (UploadLock(uploadId))
        {
            if (!Directory.Exists(dir))
                throw NoSuchUpload(uploadId);
            return ReadParts(dir);
        }
    }

    internal void DeleteUpload(string uploadId)
    {
        var dir = Path.Combine(UploadsRoot, uploadId);
        if (!UploadIdIsSafe(uploadId))
            throw NoSuchUpload(uploadId);
        lock (UploadLock(uploadId))
        {
            if (!Directory.Exists(dir))
                throw NoSuchUpload(uploadId);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Takes the upload out of reach while CompleteMultipartUpload reads its parts: an UploadPart or an abort
    /// that arrives meanwhile answers NoSuchUpload. Disposing the claim without <see cref="ClaimedUpload.Finish"/> puts the
    /// upload back, so a completion that fails (a wrong part list, a client gone) can be retried.</summary>
    internal ClaimedUpload ClaimUpload(string uploadId)
    {
        var dir = Path.Combine(UploadsRoot, uploadId);
        var claimed = Path.Combine(TempRoot, ClaimPrefix + uploadId);
        lock (UploadLock(uploadId))
        {
            if (!UploadIdIsSafe(uploadId) || !Directory.Exists(dir))
                throw NoSuchUpload(uploadId);
            Directory.Move(dir, claimed);
        }
        return new ClaimedUpload(this, uploadId, claimed, ReadParts(claimed));
    }

    /// <summary>Folders under uploads/ and claims under tmp/: what an upload leaves on disk, listed or not.</summary>
    internal int UploadFolderCount()
        => Directory.EnumerateDirectories(UploadsRoot).Count() + Directory.EnumerateDirectories(TempRoot, ClaimPrefix + "*").Count();

    internal sealed class ClaimedUpload : IDisposable
    {
        private readonly S3Store _store;
        private readonly string _uploadId;
        private readonly string _directory;
        private bool _finished;

        internal ClaimedUpload(S3Store store, string uploadId, string directory, List<PartMetadata> parts)
        {
            _store = store;
            _uploadId = uploadId;
            _directory = directory;
            Parts = parts;
        }

        public IReadOnlyList<PartMetadata> Parts { get; }

        public string PartDataPath(int partNumber) => Path.Combine(_directory, $"part-{partNumber}.data");

        /// <summary>The object is committed: the upload's parts go.</summary>
        public void Finish()
        {
            _finished = true;
            Directory.Delete(_directory, recursive: true);
        }

        public void Dispose()
        {
            if (_finished)
                return;
            lock (_store.UploadLock(_uploadId))
                Directory.Move(_directory, Path.Combine(_store.UploadsRoot, _uploadId));
        }
    }

    // ---- helpers ----

    internal static string Quote(string etag) => "\"" + etag + "\"";

    internal static void ValidateBucketName(string bucket)
    {
        if (!BucketNamePattern.IsMatch(bucket) || bucket.Contains("..", StringComparison.Ordinal))
            throw new S3StoreException(400, "InvalidBucketName", "The specified bucket is not valid.", bucket);
    }

    private const string ClaimPrefix = "claimed-";

    private object UploadLock(string uploadId) => _uploadLocks[(uint)StringComparer.Ordinal.GetHashCode(uploadId) % (uint)_uploadLocks.Length];

    private static List<PartMetadata> ReadParts(string directory)
        => Directory.EnumerateFiles(directory, "part-*.json")
            .Select(f => JsonSerializer.Deserialize<PartMetadata>(File.ReadAllText(f), Json)!)
            .OrderBy(p => p.PartNumber).ToList();

    /// <summary>A completion cut short by a stop of the endpoint leaves its claim in tmp/: the upload is open again.</summary>
    private void RestoreClaimedUploads()
    {
        foreach (var claimed in Directory.EnumerateDirectories(TempRoot, ClaimPrefix + "*"))
        {
            var target = Path.Combine(UploadsRoot, Path.GetFileName(claimed)[ClaimPrefix.Length..]);
            if (Directory.Exists(target))
                Directory.Delete(claimed, recursive: true);
            else
                Directory.Move(claimed, target);
        }
    }

    private static bool UploadIdIsSafe(string uploadId) => uploadId.Length > 0 && uploadId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static S3StoreException NoSuchUpload(string uploadId)
        => new(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", uploadId);

    private BucketState Bucket(string bucket)
        => _buckets.TryGetValue(bucket, out var state) ? state
            : throw new S3StoreException(404, "NoSuchBucket", "The specified bucket does not exist", bucket);

    private string ObjectBasePath(string bucket, string key)
        => Path.Combine(BucketsRoot, bucket, "objects", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))));

    private static S3ObjectInfo Info(string bucket, ObjectMetadata meta)
        => new(bucket, meta.Key, meta.Size, meta.ETag, meta.LastModified, meta.ContentType);

    private void Load()
    {
        foreach (var dir in Directory.EnumerateDirectories(BucketsRoot))
        {
            var bucketFile = Path.Combine(dir, "bucket.json");
            if (!File.Exists(bucketFile))
                continue;
            var info = JsonSerializer.Deserialize<BucketFile>(File.ReadAllText(bucketFile), Json)!;
            var state = new BucketState(info.Created, info.Region);
            var objects = Path.Combine(dir, "objects");
            Directory.CreateDirectory(objects);
            foreach (var metaFile in Directory.EnumerateFiles(objects, "*.json"))
            {
                var meta = JsonSerializer.Deserialize<ObjectMetadata>(File.ReadAllText(metaFile), Json);
                var data = Path.ChangeExtension(metaFile, ".data");
                if (meta is not null && File.Exists(data) && new FileInfo(data).Length == meta.Size)
                    state.Objects[meta.Key] = meta;
            }
            _buckets[info.Name] = state;
        }
    }

    private sealed class BucketFile
    {
        public string Name { get; set; } = "";
        public DateTimeOffset Created { get; set; }
        public string? Region { get; set; }
    }

    private sealed class BucketState
    {
        public BucketState(DateTimeOffset created, string? region)
        {
            Created = created;
            Region = region;
        }

        public DateTimeOffset Created { get; }
        public string? Region { get; }
        public object Lock { get; } = new();
        public SortedDictionary<string, ObjectMetadata> Objects { get; } = new(StringComparer.Ordinal);
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BedrockImport.Engine.Json;

namespace BedrockImport.LocalEndpoint.Hub;

/// <summary>Settings of one mirrored repository, read from its optional <c>.hub.json</c>.</summary>
public sealed class HubRepositorySettings
{
    public const string FileName = ".hub.json";

    /// <summary>Private: without a listed token the repository does not exist (401 RepoNotFound).</summary>
    public bool Private { get; set; }

    /// <summary>Gated: no token gives 401 GatedRepo, an unlisted token 403 GatedRepo.</summary>
    public bool Gated { get; set; }

    /// <summary>Access disabled for everyone: 403 without an X-Error-Code.</summary>
    public bool Disabled { get; set; }

    /// <summary>Bearer tokens with access to a private or gated repository.</summary>
    public List<string> Tokens { get; set; } = new();

    /// <summary>A fixed commit sha (40 hex); null derives it from the content.</summary>
    public string? Sha { get; set; }
}

/// <summary>One file of a repository snapshot.</summary>
public sealed class HubRepoFile
{
    public HubRepoFile(string path, string fullPath, long size, string blobId, string? sha256, long pointerSize)
    {
        Path = path;
        FullPath = fullPath;
        Size = size;
        BlobId = blobId;
        Sha256 = sha256;
        PointerSize = pointerSize;
    }

    /// <summary>Relative to the repository, '/' separated.</summary>
    public string Path { get; }

    public string FullPath { get; }

    public long Size { get; }

    /// <summary>Git blob sha1: of the content, or of the LFS pointer for LFS files.</summary>
    public string BlobId { get; }

    /// <summary>Set for LFS files only.</summary>
    public string? Sha256 { get; }

    public long PointerSize { get; }

    public bool IsLfs => Sha256 is not null;
}

/// <summary>A repository at its (only) commit: revision "main" and the sha both resolve to it.</summary>
public sealed class HubRepoSnapshot
{
    internal HubRepoSnapshot(string repoId, string sha, HubRepositorySettings settings, IReadOnlyList<HubRepoFile> files, DateTimeOffset lastModified)
    {
        RepoId = repoId;
        Sha = sha;
        Settings = settings;
        Files = files;
        LastModified = lastModified;
        ByPath = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
    }

    public string RepoId { get; }

    public string Sha { get; }

    public HubRepositorySettings Settings { get; }

    /// <summary>Sorted by path (ordinal).</summary>
    public IReadOnlyList<HubRepoFile> Files { get; }

    public DateTimeOffset LastModified { get; }

    internal IReadOnlyDictionary<string, HubRepoFile> ByPath { get; }

    public bool ResolvesRevision(string revision) => revision == "main" || string.Equals(revision, Sha, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Repositories as plain folders: <c>DATA/hub/&lt;org&gt;/&lt;name&gt;/</c>. LFS-ness (size ≥ threshold or *.safetensors) and the sha256
/// of LFS files are computed once and cached in <c>DATA/hub/.cache/</c> (keyed by size and write time). The commit sha is a
/// sha1 over the sorted (path, blob id) pairs unless .hub.json fixes it.
/// </summary>
public sealed class HubRepositoryStore
{
    public const string CacheFolderName = ".cache";

    private readonly ConcurrentDictionary<string, (string Fingerprint, HubRepoSnapshot Snapshot)> _snapshots = new(StringComparer.Ordinal);
    private readonly Func<long> _lfsThreshold;

    public HubRepositoryStore(string root, Func<long> lfsThresholdBytes)
    {
        Root = root;
        _lfsThreshold = lfsThresholdBytes;
        Directory.CreateDirectory(root);
    }

    public string Root { get; }

    /// <summary>The folder of a repository (which may not exist).</summary>
    public string FolderOf(string org, string name) => Path.Combine(Root, org, name);

    /// <summary>The current snapshot, or null when there is no such repository folder.</summary>
    public HubRepoSnapshot? Find(string org, string name)
    {
        if (!IsSafeSegment(org) || !IsSafeSegment(name))
            return null;
        var folder = FolderOf(org, name);
        if (!Directory.Exists(folder))
            return null;
        var threshold = _lfsThreshold();
        var entries = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(full => (Full: full, Relative: Path.GetRelativePath(folder, full).Replace(Path.DirectorySeparatorChar, '/')))
            .Where(e => e.Relative != HubRepositorySettings.FileName && !e.Relative.StartsWith(".git/", StringComparison.Ordinal))
            .OrderBy(e => e.Relative, StringComparer.Ordinal)
            .Select(e => (e.Full, e.Relative, Info: new FileInfo(e.Full)))
            .ToList();
        var settingsPath = Path.Combine(folder, HubRepositorySettings.FileName);
        var settingsStamp = File.Exists(settingsPath) ? File.GetLastWriteTimeUtc(settingsPath).Ticks.ToString(CultureInfo.InvariantCulture) : "-";
        var fingerprint = threshold + "|" + settingsStamp + "|" + string.Join("|", entries.Select(e =>
            e.Relative + ":" + e.Info.Length.ToString(CultureInfo.InvariantCulture) + ":" + e.Info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)));
        var key = org + "/" + name;
        if (_snapshots.TryGetValue(key, out var cached) && cached.Fingerprint == fingerprint)
            return cached.Snapshot;

        var settings = File.Exists(settingsPath)
            ? JsonSerializer.Deserialize<HubRepositorySettings>(File.ReadAllText(settingsPath), EngineJson.Options) ?? new HubRepositorySettings()
            : new HubRepositorySettings();
        var files = entries.Select(e => Describe(org, name, e.Relative, e.Full, e.Info, threshold)).ToList();
        var sha = settings.Sha is { Length: 40 } fixedSha && fixedSha.All(Uri.IsHexDigit) ? fixedSha.ToLowerInvariant() : CommitSha(key, files);
        var lastModified = entries.Count == 0 ? DateTimeOffset.UnixEpoch : new DateTimeOffset(entries.Max(e => e.Info.LastWriteTimeUtc), TimeSpan.Zero);
        var snapshot = new HubRepoSnapshot(key, sha, settings, files, lastModified);
        _snapshots[key] = (fingerprint, snapshot);
        return snapshot;
    }

    /// <summary>Hub name rules for one segment (letters, digits, '-', '_', '.'; no "..", "--"; not starting or ending with '-' or '.').</summary>
    public static bool IsSafeSegment(string segment)
        => segment.Length is > 0 and <= 96
           && segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
           && !segment.Contains("..", StringComparison.Ordinal) && !segment.Contains("--", StringComparison.Ordinal)
           && segment[0] is not ('-' or '.') && segment[^1] is not ('-' or '.');

    private HubRepoFile Describe(string org, string name, string relative, string full, FileInfo info, long threshold)
    {
        var lfs = info.Length >= threshold || relative.EndsWith(".safetensors", StringComparison.Ordinal);
        if (!lfs)
            return new HubRepoFile(relative, full, info.Length, GitBlobSha1(File.ReadAllBytes(full)), null, 0);
        var sha256 = CachedSha256(org, name, relative, full, info);
        var pointer = Encoding.UTF8.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {info.Length.ToString(CultureInfo.InvariantCulture)}\n");
        return new HubRepoFile(relative, full, info.Length, GitBlobSha1(pointer), sha256, pointer.Length);
    }

    private string CachedSha256(string org, string name, string relative, string full, FileInfo info)
    {
        var sidecar = Path.Combine(Root, CacheFolderName, org, name, relative.Replace('/', Path.DirectorySeparatorChar) + ".sha256");
        var stamp = info.Length.ToString(CultureInfo.InvariantCulture) + " " + info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture);
        if (File.Exists(sidecar))
        {
            var parts = File.ReadAllText(sidecar).Split(' ');
            if (parts.Length == 3 && parts[0] + " " + parts[1] == stamp && parts[2].Length == 64)
                return parts[2];
        }
        string hash;
        using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
            hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        Directory.CreateDirectory(Path.GetDirectoryName(sidecar)!);
        var temporary = sidecar + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temporary, stamp + " " + hash);
        File.Move(temporary, sidecar, overwrite: true);
        return hash;
    }

    private static string GitBlobSha1(byte[] content)
    {
        var header = Encoding.ASCII.GetBytes("blob " + content.Length.ToString(CultureInfo.InvariantCulture) + "\0");
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(header);
        sha1.AppendData(content);
        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    private static string CommitSha(string repoId, IEnumerable<HubRepoFile> files)
    {
        var text = new StringBuilder("bedrockimport-hub-mirror ").Append(repoId).Append('\n');
        foreach (var file in files)
            text.Append(file.Path).Append('\0').Append(file.BlobId).Append('\n');
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}

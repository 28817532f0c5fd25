using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BedrockImport.LocalEndpoint.Hub;

// The JSON API: model info and the (paged) file tree.
public sealed partial class HubMirror
{
    private async Task HandleModelInfoAsync(HttpContext context, string revision)
    {
        var snapshot = await AuthorizeAsync(context, revision, "ModelInfo").ConfigureAwait(false);
        if (snapshot is null)
            return;
        var withBlobs = string.Equals(context.Request.Query["blobs"], "true", StringComparison.OrdinalIgnoreCase);
        var siblings = snapshot.Files.Select(f =>
        {
            var sibling = new Dictionary<string, object?> { ["rfilename"] = f.Path };
            if (withBlobs)
            {
                sibling["blobId"] = f.BlobId;
                sibling["size"] = f.Size;
                if (f.IsLfs)
                    sibling["lfs"] = new Dictionary<string, object?> { ["sha256"] = f.Sha256, ["size"] = f.Size, ["pointerSize"] = f.PointerSize };
            }
            return sibling;
        }).ToList();
        var body = new Dictionary<string, object?>
        {
            ["_id"] = snapshot.Sha[..24],
            ["id"] = snapshot.RepoId,
            ["modelId"] = snapshot.RepoId,
            ["author"] = RouteValue(context, "org"),
            ["sha"] = snapshot.Sha,
            ["lastModified"] = snapshot.LastModified.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["private"] = snapshot.Settings.Private,
            ["gated"] = snapshot.Settings.Gated ? "manual" : false,
            ["disabled"] = false,
            ["tags"] = Array.Empty<string>(),
            ["config"] = ReadConfigSummary(snapshot),
            ["siblings"] = siblings,
        };
        Record(context, "ModelInfo", 200, 0);
        await WriteJsonAsync(context, 200, body).ConfigureAwait(false);
    }

    private async Task HandleTreeAsync(HttpContext context)
    {
        var revision = Revision(context);
        var folder = RouteValue(context, "path").Trim('/');
        var snapshot = await AuthorizeAsync(context, revision, "Tree").ConfigureAwait(false);
        if (snapshot is null)
            return;
        var recursive = string.Equals(context.Request.Query["recursive"], "true", StringComparison.OrdinalIgnoreCase)
                        || context.Request.Query["recursive"] == "1";
        var prefix = folder.Length == 0 ? "" : folder + "/";
        var under = snapshot.Files.Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (folder.Length > 0 && under.Count == 0)
        {
            await WriteErrorAsync(context, 404, "EntryNotFound", $"{snapshot.RepoId}: path '{folder}' does not exist at revision {revision}.").ConfigureAwait(false);
            Record(context, "Tree", 404, 0);
            return;
        }

        var entries = TreeEntries(under, prefix, recursive);
        var pageSize = Math.Max(1, _context.Knobs.Current.Hub.TreePageSize);
        var start = ParseCursor(context.Request.Query["cursor"]);
        var page = entries.Skip(start).Take(pageSize).ToList();
        if (start + pageSize < entries.Count)
            context.Response.Headers["Link"] = $"<{NextPageUrl(context.Request, start + pageSize)}>; rel=\"next\"";
        Record(context, "Tree", 200, 0);
        await WriteJsonAsync(context, 200, page).ConfigureAwait(false);
    }

    private static List<Dictionary<string, object?>> TreeEntries(IEnumerable<HubRepoFile> files, string prefix, bool recursive)
    {
        var entries = new List<Dictionary<string, object?>>();
        var directories = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var rest = file.Path[prefix.Length..];
            var slash = rest.IndexOf('/');
            if (recursive)
            {
                // Directories of a recursive listing come before their first file, as the Hub lists them.
                for (var cut = slash; cut >= 0; cut = rest.IndexOf('/', cut + 1))
                    if (directories.Add(prefix + rest[..cut]))
                        entries.Add(DirectoryEntry(prefix + rest[..cut]));
                entries.Add(FileEntry(file));
            }
            else if (slash < 0)
                entries.Add(FileEntry(file));
            else if (directories.Add(prefix + rest[..slash]))
                entries.Add(DirectoryEntry(prefix + rest[..slash]));
        }
        return entries;
    }

    private static string NextPageUrl(HttpRequest request, int next)
    {
        var query = QueryString.Create(request.Query
            .Where(q => q.Key != "cursor")
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)))
            .Append(new KeyValuePair<string, string?>("cursor", Convert.ToBase64String(Encoding.ASCII.GetBytes(next.ToString(CultureInfo.InvariantCulture))))));
        return $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{query}";
    }

    private static int ParseCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
            return 0;
        try
        {
            return int.TryParse(Encoding.ASCII.GetString(Convert.FromBase64String(cursor)), NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : 0;
        }
        catch (FormatException)
        {
            return 0;
        }
    }

    private static Dictionary<string, object?> FileEntry(HubRepoFile file)
    {
        var entry = new Dictionary<string, object?> { ["type"] = "file", ["oid"] = file.BlobId, ["size"] = file.Size, ["path"] = file.Path };
        if (file.IsLfs)
            entry["lfs"] = new Dictionary<string, object?> { ["oid"] = file.Sha256, ["size"] = file.Size, ["pointerSize"] = file.PointerSize };
        return entry;
    }

    private static Dictionary<string, object?> DirectoryEntry(string path)
        => new() { ["type"] = "directory", ["oid"] = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes("tree " + path))), ["size"] = 0, ["path"] = path };

    private static object? ReadConfigSummary(HubRepoSnapshot snapshot)
    {
        if (!snapshot.ByPath.TryGetValue("config.json", out var config) || config.IsLfs)
            return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(config.FullPath));
            var summary = new Dictionary<string, object?>();
            foreach (var key in new[] { "architectures", "model_type" })
                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(key, out var value))
                    summary[key] = value.Clone();
            return summary;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

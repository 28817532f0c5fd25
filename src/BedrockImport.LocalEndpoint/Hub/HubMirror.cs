using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.Knobs;
using Microsoft.AspNetCore.Http;

namespace BedrockImport.LocalEndpoint.Hub;

/// <summary>
/// Unsigned Hugging Face Hub mirror over DATA/hub/&lt;org&gt;/&lt;name&gt;/ (see Hub/README.md):
/// GET /api/models/{repo}[/revision/{rev}], GET /api/models/{repo}/tree/{rev}[/{path}], GET|HEAD /{repo}/resolve/{rev}/{file},
/// GET|HEAD /_cdn/{token} (LFS bytes on the other host name, no auth), GET|DELETE /_hub/traffic.
/// </summary>
public sealed partial class HubMirror : IUnsignedHandler
{
    public const string StatsService = "hub";
    private const string CdnPrefix = "/_cdn/";
    private const string TrafficPath = "/_hub/traffic";

    private static readonly ConditionalWeakTable<EndpointContext, HubMirror> Mirrors = new();
    private static readonly JsonSerializerOptions WireJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never };

    private readonly EndpointContext _context;
    private readonly byte[] _cdnKey = RandomNumberGenerator.GetBytes(32);

    internal HubMirror(EndpointContext context)
    {
        _context = context;
        Store = new HubRepositoryStore(context.ServiceDataDirectory("hub"), () => Math.Max(1, context.Knobs.Current.Hub.LfsThresholdBytes));
    }

    public HubRepositoryStore Store { get; }

    public HubTraffic Traffic { get; } = new();

    /// <summary>The mirror of a running endpoint (registered by RegisterHubHandlers).</summary>
    public static HubMirror For(EndpointContext context) => Mirrors.GetValue(context, c => new HubMirror(c));

    public bool CanHandle(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path.StartsWith("/api/models/", StringComparison.Ordinal) || path.StartsWith(CdnPrefix, StringComparison.Ordinal) || path == TrafficPath)
            return true;
        var segments = path.Split('/');
        return segments.Length >= 6 && segments[3] == "resolve";
    }

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path == TrafficPath)
        {
            await HandleTrafficAsync(context).ConfigureAwait(false);
            return;
        }
        var method = context.Request.Method;
        var isHead = HttpMethods.IsHead(method);
        if (!HttpMethods.IsGet(method) && !isHead)
        {
            await WriteErrorAsync(context, 405, null, $"Method {method} is not allowed on the Hub mirror.").ConfigureAwait(false);
            return;
        }

        var segments = path.Split('/');
        string operation;
        Func<Task> handle;
        if (path.StartsWith(CdnPrefix, StringComparison.Ordinal))
        {
            operation = "Cdn";
            handle = () => HandleCdnAsync(context, path[CdnPrefix.Length..]);
        }
        else if (segments[1] == "api")
        {
            // "", api, models, org, name, [revision|tree, rev, path...]
            if (segments.Length == 5 || (segments.Length >= 7 && segments[5] == "revision"))
            {
                operation = "ModelInfo";
                var revision = segments.Length >= 7 ? string.Join("/", segments.Skip(6)) : "main";
                handle = () => HandleModelInfoAsync(context, segments[3], segments[4], DecodeRevision(revision));
            }
            else if (segments.Length >= 7 && segments[5] == "tree")
            {
                operation = "Tree";
                handle = () => HandleTreeAsync(context, segments[3], segments[4], DecodeRevision(segments[6]), string.Join("/", segments.Skip(7)).Trim('/'));
            }
            else
            {
                await WriteErrorAsync(context, 404, null, $"The Hub mirror has no API route '{path}'.").ConfigureAwait(false);
                return;
            }
        }
        else
        {
            // "", org, name, resolve, rev, file...
            operation = "Resolve";
            handle = () => HandleResolveAsync(context, segments[1], segments[2], DecodeRevision(segments[4]), string.Join("/", segments.Skip(5)));
        }

        if (!await ApplyKnobsAsync(context, operation).ConfigureAwait(false))
            return;
        await handle().ConfigureAwait(false);
    }

    /// <summary>Counts the call, waits the latency knob, injects faults. False when the answer was a fault.</summary>
    private async Task<bool> ApplyKnobsAsync(HttpContext context, string operation)
    {
        var stats = _context.Stats.For(StatsService, operation);
        stats.AddCall();
        var knobs = _context.Knobs.Current;
        var latency = knobs.LatencyFor(StatsService, operation);
        if (latency > 0)
        {
            stats.AddLatency(latency);
            await _context.Delay(TimeSpan.FromMilliseconds(latency), context.RequestAborted).ConfigureAwait(false);
        }
        var fault = _context.Faults.Decide(StatsService, operation);
        stats.AddFault(fault);
        switch (fault)
        {
            case FaultKind.DropConnection:
                Record(context, operation, 0, 0);
                context.Abort();
                return false;
            case FaultKind.Throttle:
                context.Response.Headers["Retry-After"] = Math.Max(0, knobs.Hub.RetryAfterSeconds).ToString(CultureInfo.InvariantCulture);
                await WriteErrorAsync(context, 429, null, "You have exceeded our hourly quotas for action 'resolve'. We invite you to retry later.").ConfigureAwait(false);
                Record(context, operation, 429, 0);
                return false;
            case FaultKind.InternalError:
                await WriteErrorAsync(context, 500, null, "Internal Error - We're working hard to fix this as soon as possible!").ConfigureAwait(false);
                Record(context, operation, 500, 0);
                return false;
            default:
                return true;
        }
    }

    private async Task HandleModelInfoAsync(HttpContext context, string org, string name, string revision)
    {
        var snapshot = await AuthorizeAsync(context, org, name, revision, "ModelInfo").ConfigureAwait(false);
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
            ["author"] = org,
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

    private async Task HandleTreeAsync(HttpContext context, string org, string name, string revision, string folder)
    {
        var snapshot = await AuthorizeAsync(context, org, name, revision, "Tree").ConfigureAwait(false);
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

        var entries = new List<Dictionary<string, object?>>();
        var directories = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in under)
        {
            var rest = file.Path[prefix.Length..];
            var slash = rest.IndexOf('/');
            if (recursive)
            {
                // Directories of a recursive listing come before their first file, as the Hub lists them.
                for (var cut = rest.IndexOf('/'); cut >= 0; cut = rest.IndexOf('/', cut + 1))
                    if (directories.Add(prefix + rest[..cut]))
                        entries.Add(DirectoryEntry(prefix + rest[..cut]));
                entries.Add(FileEntry(file));
            }
            else if (slash < 0)
                entries.Add(FileEntry(file));
            else if (directories.Add(prefix + rest[..slash]))
                entries.Add(DirectoryEntry(prefix + rest[..slash]));
        }

        var pageSize = Math.Max(1, _context.Knobs.Current.Hub.TreePageSize);
        var start = ParseCursor(context.Request.Query["cursor"]);
        var page = entries.Skip(start).Take(pageSize).ToList();
        if (start + pageSize < entries.Count)
        {
            var query = QueryString.Create(context.Request.Query
                .Where(q => q.Key != "cursor")
                .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)))
                .Append(new KeyValuePair<string, string?>("cursor", Convert.ToBase64String(Encoding.ASCII.GetBytes((start + pageSize).ToString(CultureInfo.InvariantCulture))))));
            var next = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}{context.Request.Path}{query}";
            context.Response.Headers["Link"] = $"<{next}>; rel=\"next\"";
        }
        Record(context, "Tree", 200, 0);
        await WriteJsonAsync(context, 200, page).ConfigureAwait(false);
    }

    private async Task HandleResolveAsync(HttpContext context, string org, string name, string revision, string filePath)
    {
        var snapshot = await AuthorizeAsync(context, org, name, revision, "Resolve").ConfigureAwait(false);
        if (snapshot is null)
            return;
        if (!snapshot.ByPath.TryGetValue(filePath, out var file))
        {
            context.Response.Headers["X-Repo-Commit"] = snapshot.Sha;
            await WriteErrorAsync(context, 404, "EntryNotFound", $"{snapshot.RepoId}: entry '{filePath}' not found at revision {revision}.").ConfigureAwait(false);
            Record(context, "Resolve", 404, 0);
            return;
        }

        var headers = context.Response.Headers;
        headers["X-Repo-Commit"] = snapshot.Sha;
        headers["Accept-Ranges"] = "bytes";
        if (!file.IsLfs)
        {
            headers.ETag = "\"" + file.BlobId + "\"";
            await ServeFileAsync(context, "Resolve", file).ConfigureAwait(false);
            return;
        }

        headers.ETag = "\"" + file.Sha256 + "\"";
        headers["X-Linked-Etag"] = "\"" + file.Sha256 + "\"";
        headers["X-Linked-Size"] = file.Size.ToString(CultureInfo.InvariantCulture);
        var request = context.Request;
        var otherHost = string.Equals(request.Host.Host, "localhost", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" : "localhost";
        var port = request.Host.Port is int p ? ":" + p.ToString(CultureInfo.InvariantCulture) : "";
        headers.Location = $"{request.Scheme}://{otherHost}{port}{CdnPrefix}{CdnToken(snapshot, file)}";
        context.Response.StatusCode = 302;
        context.Response.ContentLength = 0;
        Record(context, "Resolve", 302, 0);
    }

    private async Task HandleCdnAsync(HttpContext context, string token)
    {
        HubRepoFile? file = null;
        if (TryReadCdnToken(token, out var repoId, out var sha, out var filePath))
        {
            var slash = repoId.IndexOf('/');
            var snapshot = Store.Find(repoId[..slash], repoId[(slash + 1)..]);
            if (snapshot is not null && snapshot.Sha == sha)
                snapshot.ByPath.TryGetValue(filePath, out file);
        }
        if (file is null)
        {
            context.Response.StatusCode = 403;
            context.Response.ContentType = "application/xml";
            Record(context, "Cdn", 403, 0);
            if (!HttpMethods.IsHead(context.Request.Method))
                await context.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                    context.RequestAborted).ConfigureAwait(false);
            return;
        }
        context.Response.Headers.ETag = "\"" + file.Sha256 + "\"";
        context.Response.Headers["Accept-Ranges"] = "bytes";
        await ServeFileAsync(context, "Cdn", file).ConfigureAwait(false);
    }

    /// <summary>200 with the whole file, 206 with a single Range, 416 when the range starts past the end.</summary>
    private async Task ServeFileAsync(HttpContext context, string operation, HubRepoFile file)
    {
        var response = context.Response;
        response.ContentType = "application/octet-stream";
        long start = 0, length = file.Size;
        var range = ParseRange(context.Request.Headers.Range.ToString(), file.Size);
        if (range is { Satisfiable: false })
        {
            response.StatusCode = 416;
            response.Headers.ContentRange = "bytes */" + file.Size.ToString(CultureInfo.InvariantCulture);
            Record(context, operation, 416, 0);
            return;
        }
        if (range is { } r)
        {
            start = r.Start;
            length = r.End - r.Start + 1;
            response.StatusCode = 206;
            response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {r.Start}-{r.End}/{file.Size}");
        }
        else
            response.StatusCode = 200;
        response.ContentLength = length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            Record(context, operation, response.StatusCode, 0);
            return;
        }

        long sent = 0;
        try
        {
            await using var stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
            stream.Seek(start, SeekOrigin.Begin);
            var buffer = new byte[81920];
            while (sent < length)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - sent)), context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                    break;
                await response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted).ConfigureAwait(false);
                sent += read;
            }
        }
        finally
        {
            Record(context, operation, response.StatusCode, sent);
        }
    }

    /// <summary>Null for the snapshot after writing the error (401/403/404 with X-Error-Code) when the caller may not see it.</summary>
    private async Task<HubRepoSnapshot?> AuthorizeAsync(HttpContext context, string org, string name, string revision, string operation)
    {
        var snapshot = Store.Find(org, name);
        var (status, code, message) = Decide(snapshot, org + "/" + name, BearerToken(context.Request), fileAccess: operation == "Resolve");
        if (status == 0 && !snapshot!.ResolvesRevision(revision))
            (status, code, message) = (404, "RevisionNotFound", $"Invalid rev id: {revision}");
        if (status == 0)
            return snapshot;
        await WriteErrorAsync(context, status, code, message).ConfigureAwait(false);
        Record(context, operation, status, 0);
        return null;
    }

    /// <summary>As on the Hub, a gated repository's info and file list are public; only file downloads (fileAccess) are gated.</summary>
    private static (int Status, string? Code, string Message) Decide(HubRepoSnapshot? snapshot, string repoId, string? token, bool fileAccess)
    {
        const string notFound = "Repository not found. Make sure the repository id is correct and, for a private repository, that you are authenticated.";
        if (snapshot is null)
            return (401, "RepoNotFound", notFound);
        var settings = snapshot.Settings;
        var listed = token is not null && settings.Tokens.Contains(token, StringComparer.Ordinal);
        if (settings.Private && !listed)
            return (401, "RepoNotFound", notFound);
        if (settings.Disabled)
            return (403, null, "Access to this resource is disabled.");
        if (!settings.Gated || settings.Private || !fileAccess)
            return (0, null, "");
        if (token is null)
            return (401, "GatedRepo", $"Access to model {repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.");
        if (!listed)
            return (403, "GatedRepo", $"Access to model {repoId} is restricted and you are not in the authorized list. Visit the model page to ask for access.");
        return (0, null, "");
    }

    private static string? BearerToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }

    private async Task HandleTrafficAsync(HttpContext context)
    {
        if (HttpMethods.IsDelete(context.Request.Method))
        {
            Traffic.Reset();
            context.Response.StatusCode = 204;
            return;
        }
        await WriteJsonAsync(context, 200, new { bytesServed = Traffic.BytesServed, requests = Traffic.Records }, Engine.Json.EngineJson.Options).ConfigureAwait(false);
    }

    private void Record(HttpContext context, string operation, int status, long bytes)
        => Traffic.Add(new HubRequestRecord
        {
            Operation = operation,
            Method = context.Request.Method,
            Host = context.Request.Host.Value ?? "",
            Path = context.Request.Path.Value ?? "",
            HadAuthorization = context.Request.Headers.ContainsKey("Authorization"),
            Range = context.Request.Headers.Range.Count > 0 ? context.Request.Headers.Range.ToString() : null,
            Status = status,
            Bytes = bytes,
        });

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

    // Request.Path is already decoded except for "%2F" (a revision like refs/pr/1 arrives as refs%2Fpr%2F1).
    private static string DecodeRevision(string raw) => raw.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

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

    private readonly record struct ByteRange(long Start, long End, bool Satisfiable);

    /// <summary>A single "bytes=a-b", "bytes=a-" or "bytes=-n" range; null when absent or not understood (the whole file is served).</summary>
    private static ByteRange? ParseRange(string header, long size)
    {
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(','))
            return null;
        var spec = header[6..].Trim();
        var dash = spec.IndexOf('-');
        if (dash < 0)
            return null;
        var first = spec[..dash];
        var last = spec[(dash + 1)..];
        if (first.Length == 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix) || suffix == 0)
                return null;
            return size == 0 ? new ByteRange(0, 0, false) : new ByteRange(Math.Max(0, size - suffix), size - 1, true);
        }
        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            return null;
        var end = size - 1;
        if (last.Length > 0 && !long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end))
            return null;
        if (last.Length > 0 && end < start)
            return null;
        if (start >= size)
            return new ByteRange(start, start, false);
        return new ByteRange(start, Math.Min(end, size - 1), true);
    }

    private string CdnToken(HubRepoSnapshot snapshot, HubRepoFile file)
    {
        var payload = Encoding.UTF8.GetBytes(snapshot.RepoId + "\n" + snapshot.Sha + "\n" + file.Path);
        var mac = HMACSHA256.HashData(_cdnKey, payload).AsSpan(0, 16).ToArray();
        return Base64Url(payload) + "." + Base64Url(mac);
    }

    private bool TryReadCdnToken(string token, out string repoId, out string sha, out string filePath)
    {
        repoId = sha = filePath = "";
        var dot = token.IndexOf('.');
        if (dot < 0)
            return false;
        try
        {
            var payload = FromBase64Url(token[..dot]);
            var mac = FromBase64Url(token[(dot + 1)..]);
            if (!CryptographicOperations.FixedTimeEquals(mac, HMACSHA256.HashData(_cdnKey, payload).AsSpan(0, 16)))
                return false;
            var parts = Encoding.UTF8.GetString(payload).Split('\n', 3);
            if (parts.Length != 3 || !parts[0].Contains('/'))
                return false;
            (repoId, sha, filePath) = (parts[0], parts[1], parts[2]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '='));
    }

    /// <summary>The Hub's error shape: status, X-Error-Code (when typed), X-Error-Message, body {"error": message} (none for HEAD).</summary>
    private static async Task WriteErrorAsync(HttpContext context, int status, string? code, string message)
    {
        var response = context.Response;
        response.StatusCode = status;
        if (code is not null)
            response.Headers["X-Error-Code"] = code;
        response.Headers["X-Error-Message"] = message;
        if (HttpMethods.IsHead(context.Request.Method))
            return;
        response.ContentType = "application/json";
        await response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message }), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, object body, JsonSerializerOptions? options = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(JsonSerializer.Serialize(body, options ?? WireJson), context.RequestAborted).ConfigureAwait(false);
    }
}

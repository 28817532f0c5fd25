using System.Security.Cryptography;
using System.Text.Json;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.Knobs;
using BedrockImport.LocalEndpoint.S3;

namespace BedrockImport.LocalEndpoint.Admin;

/// <summary>Unsigned admin API: GET /_admin/health, GET|PUT /_admin/knobs, GET|DELETE /_admin/stats, and read-only S3
/// introspection for tests: GET /_admin/s3/multipart-uploads, GET /_admin/s3/objects?bucket=B[&amp;prefix=P].</summary>
internal sealed class AdminApi : IUnsignedRoutes
{
    private const string Routes = "GET /_admin/health, GET|PUT /_admin/knobs, GET|DELETE /_admin/stats, "
        + "GET /_admin/s3/multipart-uploads, GET /_admin/s3/objects?bucket=B[&prefix=P], GET /_admin/models, GET /_admin/memory[?collect=true]";

    private readonly EndpointContext _context;

    public AdminApi(EndpointContext context) => _context = context;

    public void MapRoutes(IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/_admin");
        admin.MapGet("/health", http => WriteJsonAsync(http, 200, JsonSerializer.Serialize(new { status = "ok" })));
        admin.MapGet("/knobs", http => WriteJsonAsync(http, 200, KnobStore.Serialize(_context.Knobs.Current)));
        admin.MapPut("/knobs", PutKnobsAsync);
        admin.MapGet("/stats", http => WriteJsonAsync(http, 200, JsonSerializer.Serialize(
            new { operations = _context.Stats.Snapshot(), refusedByAuth = _context.Stats.RefusedByAuth }, KnobStore.JsonOptions)));
        admin.MapDelete("/stats", http =>
        {
            _context.Stats.Reset();
            http.Response.StatusCode = 204;
            return Task.CompletedTask;
        });
        admin.MapGet("/s3/multipart-uploads", WriteMultipartUploadsAsync);
        admin.MapGet("/s3/objects", WriteObjectsAsync);
        admin.MapGet("/memory", WriteMemoryAsync);
        // Any other method or path under /_admin (and /_admin itself): the routes that exist.
        admin.Map("/{**unknown}", http => WriteJsonAsync(http, 404, JsonSerializer.Serialize(new
        {
            message = $"Unknown admin route {http.Request.Method} {http.Request.Path.Value!.TrimEnd('/')}. Routes: {Routes}.",
        })));
    }

    private async Task PutKnobsAsync(HttpContext http)
    {
        Knobs.Knobs knobs;
        try
        {
            using var reader = new StreamReader(http.Request.Body);
            knobs = KnobStore.Deserialize(await reader.ReadToEndAsync(http.RequestAborted).ConfigureAwait(false));
        }
        catch (JsonException e)
        {
            await WriteJsonAsync(http, 400, JsonSerializer.Serialize(new { message = "Invalid knobs JSON: " + e.Message })).ConfigureAwait(false);
            return;
        }
        var problems = knobs.Validate().ToList();
        if (problems.Count > 0)
        {
            await WriteJsonAsync(http, 400, JsonSerializer.Serialize(new { message = "Invalid knobs: " + string.Join(" ", problems) })).ConfigureAwait(false);
            return;
        }
        _context.Knobs.Set(knobs);
        await WriteJsonAsync(http, 200, KnobStore.Serialize(knobs)).ConfigureAwait(false);
    }

    private Task WriteMultipartUploadsAsync(HttpContext http)
    {
        var uploads = _context.S3.AllUploads()
            .OrderBy(u => u.Bucket, StringComparer.Ordinal).ThenBy(u => u.Key, StringComparer.Ordinal).ThenBy(u => u.Initiated)
            .Select(u => new { bucket = u.Bucket, key = u.Key, uploadId = u.UploadId, initiated = S3Handler.S3Time(u.Initiated) });
        return WriteJsonAsync(http, 200, JsonSerializer.Serialize(new { uploads, foldersOnDisk = _context.S3.UploadFolderCount() }));
    }

    /// <summary>Objects under a prefix with the SHA-256 of their stored bytes (computed now, so it proves what was stored).</summary>
    private async Task WriteObjectsAsync(HttpContext http)
    {
        var bucket = http.Request.Query["bucket"].ToString();
        var prefix = http.Request.Query["prefix"].ToString();
        if (bucket.Length == 0)
        {
            await WriteJsonAsync(http, 400, JsonSerializer.Serialize(new { message = "GET /_admin/s3/objects needs ?bucket=NAME (and optionally &prefix=P)." }))
                .ConfigureAwait(false);
            return;
        }
        if (!_context.S3.BucketExists(bucket))
        {
            await WriteJsonAsync(http, 404, JsonSerializer.Serialize(new { message = $"There is no bucket '{bucket}'." })).ConfigureAwait(false);
            return;
        }

        var objects = new List<object>();
        foreach (var info in _context.S3.List(bucket, prefix))
        {
            string sha256;
            try
            {
                await using var content = _context.S3.OpenRead(bucket, info.Key);
                sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(content, http.RequestAborted).ConfigureAwait(false));
            }
            catch (FileNotFoundException)
            {
                continue; // Deleted while listing.
            }
            objects.Add(new { key = info.Key, size = info.Size, etag = info.ETag, sha256 });
        }
        await WriteJsonAsync(http, 200, JsonSerializer.Serialize(new { objects })).ConfigureAwait(false);
    }

    /// <summary>The endpoint process's memory, for soaks: the managed heap, the GC's figures and the working set. With
    /// ?collect=true a full blocking, compacting collection runs first, so liveHeapBytes is what is still referenced.</summary>
    private static Task WriteMemoryAsync(HttpContext http)
    {
        var collected = string.Equals(http.Request.Query["collect"].ToString(), "true", StringComparison.OrdinalIgnoreCase);
        if (collected)
        {
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        }

        var info = GC.GetGCMemoryInfo();
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return WriteJsonAsync(http, 200, JsonSerializer.Serialize(new
        {
            collected,
            liveHeapBytes = GC.GetTotalMemory(forceFullCollection: false),
            lastGcHeapSizeBytes = info.HeapSizeBytes,
            lastGcCommittedBytes = info.TotalCommittedBytes,
            totalAllocatedBytes = GC.GetTotalAllocatedBytes(precise: true),
            gen0Collections = GC.CollectionCount(0),
            gen1Collections = GC.CollectionCount(1),
            gen2Collections = GC.CollectionCount(2),
            workingSetBytes = process.WorkingSet64,
        }));
    }

    private static async Task WriteJsonAsync(HttpContext http, int status, string json)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(json, http.RequestAborted).ConfigureAwait(false);
    }
}

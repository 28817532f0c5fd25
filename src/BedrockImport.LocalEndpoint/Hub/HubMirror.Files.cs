using System.Globalization;
using BedrockImport.LocalEndpoint.Hosting;

namespace BedrockImport.LocalEndpoint.Hub;

// File bytes: /resolve (small files, or a redirect for LFS files) and the CDN host the redirect points to.
public sealed partial class HubMirror
{
    private async Task HandleResolveAsync(HttpContext context)
    {
        var revision = Revision(context);
        var filePath = RouteValue(context, "file");
        var snapshot = await AuthorizeAsync(context, revision, "Resolve").ConfigureAwait(false);
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
        headers.Location = $"{request.Scheme}://{otherHost}{port}{CdnPrefix}{_cdnTokens.Issue(snapshot, file)}";
        context.Response.StatusCode = 302;
        context.Response.ContentLength = 0;
        Record(context, "Resolve", 302, 0);
    }

    private async Task HandleCdnAsync(HttpContext context)
    {
        HubRepoFile? file = null;
        if (_cdnTokens.TryRead(RouteValue(context, "token"), out var repoId, out var sha, out var filePath))
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
        // The mirror has always served "bytes=-0" whole.
        if (ByteRange.Parse(context.Request.Headers.Range.ToString(), file.Size, zeroSuffixServesWhole: true) is { } range)
        {
            response.Headers.ContentRange = range.ContentRange(file.Size);
            if (!range.Satisfiable)
            {
                response.StatusCode = 416;
                Record(context, operation, 416, 0);
                return;
            }
            (start, length) = (range.Start, range.Length);
            response.StatusCode = 206;
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
}

using System.Globalization;
using System.Xml.Linq;
using BedrockImport.LocalEndpoint.Auth;
using BedrockImport.LocalEndpoint.Hosting;
using Microsoft.Net.Http.Headers;

namespace BedrockImport.LocalEndpoint.S3;

internal sealed partial class S3Handler
{
    private static readonly string[] StoredHeaders = { "Content-Encoding", "Content-Disposition", "Cache-Control", "Content-Language", "Expires" };

    private async Task PutObjectAsync(HttpContext context, VerifiedRequest request, Route route)
    {
        if (!Store.BucketExists(route.Bucket))
            throw new S3StoreException(404, "NoSuchBucket", "The specified bucket does not exist", route.Bucket);
        var temp = Store.NewTempPath();
        try
        {
            ReceivedBody body;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
                body = await ReceiveAsync(context, request, file).ConfigureAwait(false);
            var meta = new ObjectMetadata
            {
                Key = route.Key,
                Size = body.Size,
                ETag = S3Store.Quote(Convert.ToHexStringLower(body.Md5)),
                LastModified = _context.Clock.GetUtcNow(),
                ContentType = ContentTypeOf(context.Request),
                Checksums = body.Checksums.Where(c => c.Key != "MD5").ToDictionary(c => c.Key, c => c.Value),
                ChecksumType = body.Checksums.Count > 0 ? "FULL_OBJECT" : null,
                UserMetadata = UserMetadataOf(context.Request),
                Headers = StoredHeadersOf(context.Request),
            };
            Store.Commit(route.Bucket, temp, meta);
            context.Response.Headers.ETag = meta.ETag;
            WriteChecksumHeaders(context.Response, meta.Checksums, meta.ChecksumType);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private async Task CopyObjectAsync(HttpContext context, Route route)
    {
        var source = context.Request.Headers["x-amz-copy-source"].ToString();
        var q = source.IndexOf('?');
        if (q >= 0)
            source = source[..q];
        source = SigV4.UriDecode(source).TrimStart('/');
        var slash = source.IndexOf('/');
        if (slash <= 0)
            throw new S3StoreException(400, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
        var (sourceBucket, sourceKey) = (source[..slash], source[(slash + 1)..]);
        var sourceMeta = Store.RequireMetadata(sourceBucket, sourceKey);
        if (!Store.BucketExists(route.Bucket))
            throw new S3StoreException(404, "NoSuchBucket", "The specified bucket does not exist", route.Bucket);
        var replace = string.Equals(context.Request.Headers["x-amz-metadata-directive"], "REPLACE", StringComparison.OrdinalIgnoreCase);
        var temp = Store.NewTempPath();
        try
        {
            File.Copy(Store.DataPath(sourceBucket, sourceKey), temp);
            var meta = new ObjectMetadata
            {
                Key = route.Key,
                Size = sourceMeta.Size,
                ETag = sourceMeta.ETag,
                LastModified = _context.Clock.GetUtcNow(),
                ContentType = replace ? ContentTypeOf(context.Request) : sourceMeta.ContentType,
                Checksums = new(sourceMeta.Checksums),
                ChecksumType = sourceMeta.ChecksumType,
                UserMetadata = replace ? UserMetadataOf(context.Request) : new(sourceMeta.UserMetadata),
                Headers = replace ? StoredHeadersOf(context.Request) : new(sourceMeta.Headers),
                PartSizes = sourceMeta.PartSizes,
                PartChecksums = sourceMeta.PartChecksums,
            };
            Store.Commit(route.Bucket, temp, meta);
            await WriteXmlAsync(context, new XElement(Ns + "CopyObjectResult",
                new XElement(Ns + "LastModified", S3Time(meta.LastModified)),
                new XElement(Ns + "ETag", meta.ETag))).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private async Task GetObjectAsync(HttpContext context, Route route, bool headOnly)
    {
        var meta = Store.RequireMetadata(route.Bucket, route.Key);
        var request = context.Request;
        var response = context.Response;

        var ifMatch = request.Headers.IfMatch.ToString();
        if (ifMatch.Length > 0 && ifMatch != "*" && !ifMatch.Split(',').Select(e => e.Trim()).Contains(meta.ETag))
            throw new S3StoreException(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
        var ifNoneMatch = request.Headers.IfNoneMatch.ToString();
        if (ifNoneMatch.Length > 0 && (ifNoneMatch == "*" || ifNoneMatch.Split(',').Select(e => e.Trim()).Contains(meta.ETag)))
        {
            response.StatusCode = 304;
            response.Headers.ETag = meta.ETag;
            return;
        }

        long offset = 0, length = meta.Size;
        var partial = false;
        var partNumberText = request.Query["partNumber"].ToString();
        if (partNumberText.Length > 0)
        {
            var sizes = meta.PartSizes ?? new List<long> { meta.Size };
            if (!int.TryParse(partNumberText, NumberStyles.None, CultureInfo.InvariantCulture, out var partNumber) || partNumber < 1 || partNumber > 10000)
                throw new S3StoreException(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
            if (partNumber > sizes.Count)
                throw new S3StoreException(416, "InvalidPartNumber", "The requested partnumber is not satisfiable");
            offset = sizes.Take(partNumber - 1).Sum();
            length = sizes[partNumber - 1];
            partial = meta.PartSizes is not null;
            response.Headers["x-amz-mp-parts-count"] = sizes.Count.ToString(CultureInfo.InvariantCulture);
        }
        else if (ByteRange.Parse(request.Headers.Range.ToString(), meta.Size) is { } range)
        {
            if (!range.Satisfiable)
                throw new S3StoreException(416, "InvalidRange", "The requested range is not satisfiable", meta.Size.ToString(CultureInfo.InvariantCulture));
            offset = range.Start;
            length = range.Length;
            partial = true;
        }

        response.StatusCode = partial ? 206 : 200;
        if (partial)
            response.Headers.ContentRange = new ContentRangeHeaderValue(offset, offset + length - 1, meta.Size).ToString();
        response.Headers.ETag = meta.ETag;
        response.Headers.LastModified = HttpTime(meta.LastModified);
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = request.Query["response-content-type"].ToString() is { Length: > 0 } overridden ? overridden : meta.ContentType;
        foreach (var (name, value) in meta.Headers)
            response.Headers[name] = value;
        foreach (var name in StoredHeaders)
            if (request.Query["response-" + name.ToLowerInvariant()].ToString() is { Length: > 0 } value)
                response.Headers[name] = value;
        foreach (var (name, value) in meta.UserMetadata)
            response.Headers["x-amz-meta-" + name] = value;
        if (string.Equals(request.Headers["x-amz-checksum-mode"], "ENABLED", StringComparison.OrdinalIgnoreCase))
        {
            if (partNumberText.Length > 0 && meta.PartChecksums is not null && meta.Checksums.Count == 1)
            {
                var partNumber = int.Parse(partNumberText, CultureInfo.InvariantCulture);
                WriteChecksumHeaders(response, new Dictionary<string, string> { [meta.Checksums.Keys.First()] = meta.PartChecksums[partNumber - 1] }, "COMPOSITE");
            }
            else if (offset == 0 && length == meta.Size)
            {
                WriteChecksumHeaders(response, meta.Checksums, meta.ChecksumType);
            }
        }
        response.ContentLength = length;
        if (headOnly || length == 0)
            return;
        await response.SendFileAsync(Store.DataPath(route.Bucket, route.Key), offset, length, context.RequestAborted).ConfigureAwait(false);
    }

    private Task DeleteObjectAsync(HttpContext context, Route route)
    {
        if (!Store.BucketExists(route.Bucket))
            throw new S3StoreException(404, "NoSuchBucket", "The specified bucket does not exist", route.Bucket);
        Store.Delete(route.Bucket, route.Key);
        context.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private async Task DeleteObjectsAsync(HttpContext context, VerifiedRequest request, Route route)
    {
        var body = await ReceiveSmallBodyAsync(context, request).ConfigureAwait(false);
        if (!Store.BucketExists(route.Bucket))
            throw new S3StoreException(404, "NoSuchBucket", "The specified bucket does not exist", route.Bucket);
        var document = ParseXml(body);
        var quiet = string.Equals(Child(document.Root!, "Quiet")?.Value, "true", StringComparison.OrdinalIgnoreCase);
        var keys = Children(document.Root!, "Object").Select(o => Child(o, "Key")?.Value).ToList();
        if (keys.Count == 0 || keys.Count > 1000 || keys.Any(k => k is null))
            throw new S3StoreException(400, "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema");
        var result = new XElement(Ns + "DeleteResult");
        foreach (var key in keys)
        {
            Store.Delete(route.Bucket, key!);
            if (!quiet)
                result.Add(new XElement(Ns + "Deleted", new XElement(Ns + "Key", key)));
        }
        await WriteXmlAsync(context, result).ConfigureAwait(false);
    }

    private static void WriteChecksumHeaders(HttpResponse response, Dictionary<string, string> checksums, string? checksumType)
    {
        foreach (var (algorithm, value) in checksums)
            response.Headers[Checksums.HeaderName(algorithm)] = value;
        if (checksums.Count > 0 && checksumType is not null)
            response.Headers["x-amz-checksum-type"] = checksumType;
    }

    private static string ContentTypeOf(HttpRequest request)
        => string.IsNullOrEmpty(request.ContentType) ? "application/octet-stream" : request.ContentType;

    private static Dictionary<string, string> UserMetadataOf(HttpRequest request)
        => request.Headers.Where(h => h.Key.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key["x-amz-meta-".Length..].ToLowerInvariant(), h => h.Value.ToString());

    private static Dictionary<string, string> StoredHeadersOf(HttpRequest request)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in StoredHeaders)
        {
            var value = request.Headers[name].ToString();
            if (name == "Content-Encoding")
                value = string.Join(",", value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Where(v => !v.Equals("aws-chunked", StringComparison.OrdinalIgnoreCase)));
            if (value.Length > 0)
                headers[name] = value;
        }
        return headers;
    }

    internal static XDocument ParseXml(byte[] body)
    {
        try
        {
            using var stream = new MemoryStream(body);
            var document = XDocument.Load(stream);
            return document.Root is null ? throw new System.Xml.XmlException("empty") : document;
        }
        catch (System.Xml.XmlException)
        {
            throw new S3StoreException(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");
        }
    }

    internal static XElement? Child(XElement parent, string name) => parent.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    internal static IEnumerable<XElement> Children(XElement parent, string name) => parent.Elements().Where(e => e.Name.LocalName == name);
}

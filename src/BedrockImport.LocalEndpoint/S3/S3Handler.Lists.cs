using System.Globalization;
using System.Text;
using System.Xml.Linq;
using BedrockImport.LocalEndpoint.Auth;

namespace BedrockImport.LocalEndpoint.S3;

internal sealed partial class S3Handler
{
    private async Task ListObjectsAsync(HttpContext context, Route route, bool v2)
    {
        var query = context.Request.Query;
        var prefix = query["prefix"].ToString();
        var delimiter = query["delimiter"].ToString();
        var encodeUrl = query["encoding-type"].ToString() == "url";
        var maxKeys = MaxOf(query["max-keys"].ToString(), 1000);
        var continuationToken = query["continuation-token"].ToString();
        var startAfter = v2 ? query["start-after"].ToString() : query["marker"].ToString();

        // Position: resume after a key, or after every key under a common prefix.
        string? afterKey = startAfter.Length > 0 ? startAfter : null;
        string? skipPrefix = null;
        if (v2 && continuationToken.Length > 0)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(continuationToken));
            }
            catch (FormatException)
            {
                throw new S3StoreException(400, "InvalidArgument", "The continuation token provided is incorrect");
            }
            if (decoded.StartsWith("K:", StringComparison.Ordinal))
                afterKey = decoded[2..];
            else if (decoded.StartsWith("P:", StringComparison.Ordinal))
                (afterKey, skipPrefix) = (decoded[2..], decoded[2..]);
            else
                throw new S3StoreException(400, "InvalidArgument", "The continuation token provided is incorrect");
        }

        var contents = new List<ObjectMetadata>();
        var commonPrefixes = new List<string>();
        string? lastEmitted = null;
        var truncated = false;
        foreach (var meta in Store.Snapshot(route.Bucket, prefix))
        {
            if (afterKey is not null && string.CompareOrdinal(meta.Key, afterKey) <= 0)
                continue;
            if (skipPrefix is not null && meta.Key.StartsWith(skipPrefix, StringComparison.Ordinal))
                continue;
            string? common = null;
            if (delimiter.Length > 0)
            {
                var at = meta.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                if (at >= 0)
                    common = meta.Key[..(at + delimiter.Length)];
            }
            if (common is not null && commonPrefixes.Count > 0 && commonPrefixes[^1] == common)
                continue;
            if (contents.Count + commonPrefixes.Count >= maxKeys)
            {
                truncated = true;
                break;
            }
            if (common is not null)
            {
                commonPrefixes.Add(common);
                lastEmitted = "P:" + common;
                skipPrefix = common;
            }
            else
            {
                contents.Add(meta);
                lastEmitted = "K:" + meta.Key;
            }
        }

        string Encode(string value) => encodeUrl ? SigV4.UriEncode(value, keepSlash: true) : value;
        var root = new XElement(Ns + "ListBucketResult",
            new XElement(Ns + "Name", route.Bucket),
            new XElement(Ns + "Prefix", Encode(prefix)));
        if (v2)
        {
            if (continuationToken.Length > 0)
                root.Add(new XElement(Ns + "ContinuationToken", continuationToken));
            if (startAfter.Length > 0)
                root.Add(new XElement(Ns + "StartAfter", Encode(startAfter)));
            root.Add(new XElement(Ns + "KeyCount", contents.Count + commonPrefixes.Count));
        }
        else
        {
            root.Add(new XElement(Ns + "Marker", Encode(startAfter)));
        }
        root.Add(new XElement(Ns + "MaxKeys", maxKeys));
        if (delimiter.Length > 0)
            root.Add(new XElement(Ns + "Delimiter", Encode(delimiter)));
        if (encodeUrl)
            root.Add(new XElement(Ns + "EncodingType", "url"));
        root.Add(new XElement(Ns + "IsTruncated", truncated ? "true" : "false"));
        if (truncated && lastEmitted is not null)
            root.Add(v2
                ? new XElement(Ns + "NextContinuationToken", Convert.ToBase64String(Encoding.UTF8.GetBytes(lastEmitted)))
                : new XElement(Ns + "NextMarker", Encode(lastEmitted[2..])));
        foreach (var meta in contents)
        {
            var element = new XElement(Ns + "Contents",
                new XElement(Ns + "Key", Encode(meta.Key)),
                new XElement(Ns + "LastModified", S3Time(meta.LastModified)),
                new XElement(Ns + "ETag", meta.ETag),
                new XElement(Ns + "Size", meta.Size),
                new XElement(Ns + "StorageClass", "STANDARD"));
            foreach (var algorithm in meta.Checksums.Keys)
                element.Add(new XElement(Ns + "ChecksumAlgorithm", algorithm));
            if (meta.ChecksumType is not null)
                element.Add(new XElement(Ns + "ChecksumType", meta.ChecksumType));
            root.Add(element);
        }
        foreach (var common in commonPrefixes)
            root.Add(new XElement(Ns + "CommonPrefixes", new XElement(Ns + "Prefix", Encode(common))));
        await WriteXmlAsync(context, root).ConfigureAwait(false);
    }

    private async Task ListMultipartUploadsAsync(HttpContext context, Route route)
    {
        if (!Store.BucketExists(route.Bucket))
            throw new S3StoreException(404, "NoSuchBucket", "The specified bucket does not exist", route.Bucket);
        var query = context.Request.Query;
        var prefix = query["prefix"].ToString();
        var keyMarker = query["key-marker"].ToString();
        var uploadIdMarker = query["upload-id-marker"].ToString();
        var maxUploads = MaxOf(query["max-uploads"].ToString(), 1000);
        var uploads = Store.Uploads(route.Bucket)
            .Where(u => u.Key.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(u => u.Key, StringComparer.Ordinal).ThenBy(u => u.Initiated).ThenBy(u => u.UploadId, StringComparer.Ordinal)
            .Where(u => keyMarker.Length == 0 || string.CompareOrdinal(u.Key, keyMarker) > 0
                        || (u.Key == keyMarker && uploadIdMarker.Length > 0 && string.CompareOrdinal(u.UploadId, uploadIdMarker) > 0))
            .ToList();
        var page = uploads.Take(maxUploads).ToList();
        var truncated = uploads.Count > page.Count;
        var root = new XElement(Ns + "ListMultipartUploadsResult",
            new XElement(Ns + "Bucket", route.Bucket),
            new XElement(Ns + "KeyMarker", keyMarker),
            new XElement(Ns + "UploadIdMarker", uploadIdMarker),
            new XElement(Ns + "Prefix", prefix),
            new XElement(Ns + "MaxUploads", maxUploads),
            new XElement(Ns + "IsTruncated", truncated ? "true" : "false"));
        if (truncated)
        {
            root.Add(new XElement(Ns + "NextKeyMarker", page[^1].Key));
            root.Add(new XElement(Ns + "NextUploadIdMarker", page[^1].UploadId));
        }
        foreach (var upload in page)
        {
            var element = new XElement(Ns + "Upload",
                new XElement(Ns + "Key", upload.Key),
                new XElement(Ns + "UploadId", upload.UploadId),
                Initiator(), Owner(),
                new XElement(Ns + "StorageClass", "STANDARD"),
                new XElement(Ns + "Initiated", S3Time(upload.Initiated)));
            if (upload.ChecksumAlgorithm is not null)
                element.Add(new XElement(Ns + "ChecksumAlgorithm", upload.ChecksumAlgorithm),
                    new XElement(Ns + "ChecksumType", upload.ChecksumType));
            root.Add(element);
        }
        await WriteXmlAsync(context, root).ConfigureAwait(false);
    }

    private async Task ListPartsAsync(HttpContext context, Route route)
    {
        var query = context.Request.Query;
        var upload = Store.RequireUpload(route.Bucket, route.Key, query["uploadId"].ToString());
        var marker = int.TryParse(query["part-number-marker"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : 0;
        var maxParts = MaxOf(query["max-parts"].ToString(), 1000);
        var parts = Store.Parts(upload.UploadId).Where(p => p.PartNumber > marker).ToList();
        var page = parts.Take(maxParts).ToList();
        var truncated = parts.Count > page.Count;
        var root = new XElement(Ns + "ListPartsResult",
            new XElement(Ns + "Bucket", route.Bucket),
            new XElement(Ns + "Key", route.Key),
            new XElement(Ns + "UploadId", upload.UploadId),
            Initiator(), Owner(),
            new XElement(Ns + "StorageClass", "STANDARD"),
            new XElement(Ns + "PartNumberMarker", marker),
            new XElement(Ns + "NextPartNumberMarker", page.Count > 0 ? page[^1].PartNumber : marker),
            new XElement(Ns + "MaxParts", maxParts),
            new XElement(Ns + "IsTruncated", truncated ? "true" : "false"));
        if (upload.ChecksumAlgorithm is not null)
            root.Add(new XElement(Ns + "ChecksumAlgorithm", upload.ChecksumAlgorithm), new XElement(Ns + "ChecksumType", upload.ChecksumType));
        foreach (var part in page)
        {
            var element = new XElement(Ns + "Part",
                new XElement(Ns + "PartNumber", part.PartNumber),
                new XElement(Ns + "LastModified", S3Time(part.LastModified)),
                new XElement(Ns + "ETag", part.ETag),
                new XElement(Ns + "Size", part.Size));
            foreach (var (algorithm, value) in part.Checksums)
                element.Add(new XElement(Ns + Checksums.XmlElement(algorithm), value));
            root.Add(element);
        }
        await WriteXmlAsync(context, root).ConfigureAwait(false);
    }

    private static XElement Initiator() => new(Ns + "Initiator",
        new XElement(Ns + "ID", "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"),
        new XElement(Ns + "DisplayName", "local"));

    private static int MaxOf(string text, int fallback)
    {
        if (text.Length == 0)
            return fallback;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw new S3StoreException(400, "InvalidArgument", "Provided max value is not an integer or within integer range");
        return Math.Min(value, fallback);
    }
}

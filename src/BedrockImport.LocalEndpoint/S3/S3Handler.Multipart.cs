using System.Globalization;
using System.Security.Cryptography;
using System.Xml.Linq;
using BedrockImport.LocalEndpoint.Auth;

namespace BedrockImport.LocalEndpoint.S3;

internal sealed partial class S3Handler
{
    private async Task CreateMultipartUploadAsync(HttpContext context, Route route)
    {
        if (!Store.BucketExists(route.Bucket))
            throw new S3StoreException(404, "NoSuchBucket", "The specified bucket does not exist", route.Bucket);
        var request = context.Request;
        var algorithm = request.Headers["x-amz-checksum-algorithm"].ToString().ToUpperInvariant();
        if (algorithm.Length > 0 && !Checksums.IsKnown(algorithm))
            throw new S3StoreException(400, "InvalidRequest", $"Checksum algorithm {algorithm} is not supported.");
        var checksumType = request.Headers["x-amz-checksum-type"].ToString().ToUpperInvariant();
        if (checksumType.Length > 0 && checksumType is not ("COMPOSITE" or "FULL_OBJECT"))
            throw new S3StoreException(400, "InvalidRequest", $"Checksum type {checksumType} is not supported.");
        if (algorithm.Length > 0 && checksumType.Length == 0)
            checksumType = algorithm == "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE";
        if (checksumType == "FULL_OBJECT" && algorithm is "SHA1" or "SHA256")
            throw new S3StoreException(400, "InvalidRequest", $"The FULL_OBJECT checksum type cannot be used with the {algorithm} checksum algorithm.");
        if (checksumType == "COMPOSITE" && algorithm == "CRC64NVME")
            throw new S3StoreException(400, "InvalidRequest", "The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm.");

        var upload = Store.CreateUpload(new UploadMetadata
        {
            Bucket = route.Bucket,
            Key = route.Key,
            ContentType = ContentTypeOf(request),
            ChecksumAlgorithm = algorithm.Length > 0 ? algorithm : null,
            ChecksumType = checksumType.Length > 0 ? checksumType : null,
            UserMetadata = UserMetadataOf(request),
            Headers = StoredHeadersOf(request),
        });
        if (upload.ChecksumAlgorithm is not null)
        {
            context.Response.Headers["x-amz-checksum-algorithm"] = upload.ChecksumAlgorithm;
            context.Response.Headers["x-amz-checksum-type"] = upload.ChecksumType;
        }
        await WriteXmlAsync(context, new XElement(Ns + "InitiateMultipartUploadResult",
            new XElement(Ns + "Bucket", route.Bucket),
            new XElement(Ns + "Key", route.Key),
            new XElement(Ns + "UploadId", upload.UploadId))).ConfigureAwait(false);
    }

    private async Task UploadPartAsync(HttpContext context, VerifiedRequest request, Route route)
    {
        var partNumber = PartNumberOf(context.Request);
        var upload = Store.RequireUpload(route.Bucket, route.Key, context.Request.Query["uploadId"].ToString());
        var temp = Store.NewTempPath();
        try
        {
            ReceivedBody body;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
                body = await ReceiveAsync(context, request, file, upload.ChecksumAlgorithm).ConfigureAwait(false);
            var part = new PartMetadata
            {
                PartNumber = partNumber,
                Size = body.Size,
                ETag = S3Store.Quote(Convert.ToHexStringLower(body.Md5)),
                LastModified = _context.Clock.GetUtcNow(),
                Checksums = body.Checksums,
            };
            Store.CommitPart(upload.UploadId, temp, part);
            context.Response.Headers.ETag = part.ETag;
            WriteChecksumHeaders(context.Response, part.Checksums, null);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private async Task CompleteMultipartUploadAsync(HttpContext context, VerifiedRequest request, Route route)
    {
        var body = await ReceiveSmallBodyAsync(context, request).ConfigureAwait(false);
        var upload = Store.RequireUpload(route.Bucket, route.Key, context.Request.Query["uploadId"].ToString());
        var document = ParseXml(body);
        var requested = Children(document.Root!, "Part").Select(p => new
        {
            Number = int.TryParse(Child(p, "PartNumber")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1,
            ETag = NormalizeETag(Child(p, "ETag")?.Value),
            Checksums = Checksums.Algorithms
                .Select(a => (Algorithm: a, Value: Child(p, Checksums.XmlElement(a))?.Value))
                .Where(c => c.Value is not null).ToList(),
        }).ToList();
        if (requested.Count == 0 || requested.Any(p => p.Number < 1 || p.ETag is null))
            throw new S3StoreException(400, "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema");
        for (var i = 1; i < requested.Count; i++)
            if (requested[i].Number <= requested[i - 1].Number)
                throw new S3StoreException(400, "InvalidPartOrder",
                    "The list of parts was not in ascending order. Parts must be ordered by part number.");

        using var claim = Store.ClaimUpload(upload.UploadId);
        var stored = claim.Parts.ToDictionary(p => p.PartNumber);
        var parts = new List<PartMetadata>();
        foreach (var wanted in requested)
        {
            if (!stored.TryGetValue(wanted.Number, out var part) || NormalizeETag(part.ETag) != wanted.ETag
                || wanted.Checksums.Any(c => part.Checksums.TryGetValue(c.Algorithm, out var v) && v != c.Value))
                throw new S3StoreException(400, "InvalidPart",
                    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.");
            parts.Add(part);
        }
        for (var i = 0; i < parts.Count - 1; i++)
            if (parts[i].Size < MinPartSize)
                throw new S3StoreException(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.");

        var algorithm = upload.ChecksumAlgorithm;
        var fullObject = algorithm is not null && upload.ChecksumType == "FULL_OBJECT" ? Checksums.Create(algorithm) : null;
        var temp = Store.NewTempPath();
        try
        {
            await using (var destination = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[1024 * 1024];
                foreach (var part in parts)
                {
                    await using var source = new FileStream(claim.PartDataPath(part.PartNumber), FileMode.Open, FileAccess.Read,
                        FileShare.Read, 81920, useAsync: true);
                    int read;
                    while ((read = await source.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
                    {
                        fullObject?.Append(buffer.AsSpan(0, read));
                        await destination.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted).ConfigureAwait(false);
                    }
                }
            }

            using var md5s = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            foreach (var part in parts)
                md5s.AppendData(Convert.FromHexString(NormalizeETag(part.ETag)!));
            var meta = new ObjectMetadata
            {
                Key = route.Key,
                Size = parts.Sum(p => p.Size),
                ETag = S3Store.Quote($"{Convert.ToHexStringLower(md5s.GetHashAndReset())}-{parts.Count}"),
                LastModified = _context.Clock.GetUtcNow(),
                ContentType = upload.ContentType,
                UserMetadata = upload.UserMetadata,
                Headers = upload.Headers,
                PartSizes = parts.Select(p => p.Size).ToList(),
            };
            if (algorithm is not null && fullObject is not null)
            {
                var value = Convert.ToBase64String(fullObject.Finish());
                var claimed = context.Request.Headers[Checksums.HeaderName(algorithm)].ToString();
                if (claimed.Length > 0 && claimed != value)
                    throw new S3StoreException(400, "BadDigest", $"The {algorithm} you specified did not match the calculated checksum.");
                meta.Checksums[algorithm] = value;
                meta.ChecksumType = "FULL_OBJECT";
            }
            else if (algorithm is not null && parts.All(p => p.Checksums.ContainsKey(algorithm)))
            {
                var composite = Checksums.Create(algorithm);
                foreach (var part in parts)
                    composite.Append(Convert.FromBase64String(part.Checksums[algorithm]));
                meta.Checksums[algorithm] = $"{Convert.ToBase64String(composite.Finish())}-{parts.Count}";
                meta.ChecksumType = "COMPOSITE";
                meta.PartChecksums = parts.Select(p => p.Checksums[algorithm]).ToList();
            }

            Store.Commit(route.Bucket, temp, meta);
            claim.Finish();
            var result = new XElement(Ns + "CompleteMultipartUploadResult",
                new XElement(Ns + "Location", $"{context.Request.Scheme}://{context.Request.Host}/{route.Bucket}/{SigV4.UriEncode(route.Key, keepSlash: true)}"),
                new XElement(Ns + "Bucket", route.Bucket),
                new XElement(Ns + "Key", route.Key),
                new XElement(Ns + "ETag", meta.ETag));
            foreach (var (name, value) in meta.Checksums)
                result.Add(new XElement(Ns + Checksums.XmlElement(name), value));
            if (meta.ChecksumType is not null)
                result.Add(new XElement(Ns + "ChecksumType", meta.ChecksumType));
            await WriteXmlAsync(context, result).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private Task AbortMultipartUploadAsync(HttpContext context, Route route)
    {
        var upload = Store.RequireUpload(route.Bucket, route.Key, context.Request.Query["uploadId"].ToString());
        Store.DeleteUpload(upload.UploadId);
        context.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private static int PartNumberOf(HttpRequest request)
        => int.TryParse(request.Query["partNumber"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 10000
            ? n
            : throw new S3StoreException(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");

    private static string? NormalizeETag(string? etag) => etag?.Trim().Trim('"').ToLowerInvariant();
}

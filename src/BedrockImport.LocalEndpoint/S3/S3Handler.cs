using System.Globalization;
using System.Xml.Linq;
using BedrockImport.LocalEndpoint.Auth;
using BedrockImport.LocalEndpoint.Hosting;
using Microsoft.AspNetCore.Http.Features;

namespace BedrockImport.LocalEndpoint.S3;

/// <summary>The S3 subset, path-style (/bucket/key). Body receiving is in S3Handler.Body.cs, listings in S3Handler.Lists.cs.</summary>
internal sealed partial class S3Handler : IServiceHandler
{
    internal static readonly XNamespace Ns = "http://s3.amazonaws.com/doc/2006-03-01/";
    private const string RouteItem = "s3-route";
    private const long MinPartSize = 5L * 1024 * 1024;
    private const long MaxSmallBody = 16L * 1024 * 1024;

    private readonly EndpointContext _context;

    public S3Handler(EndpointContext context) => _context = context;

    public string SigningService => "s3";

    public bool SingleEncodedCanonicalUri => true;

    public ErrorStyle ErrorStyle => ErrorStyle.S3Xml;

    private S3Store Store => _context.S3;

    private sealed record Route(string Bucket, string Key, string Operation);

    public string? ResolveOperation(HttpContext context)
    {
        var route = Resolve(context);
        context.Items[RouteItem] = route;
        return route.Operation;
    }

    private static Route Resolve(HttpContext context)
    {
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.ToUriComponent();
        var q = rawTarget.IndexOf('?');
        var rawPath = (q < 0 ? rawTarget : rawTarget[..q]).TrimStart('/');
        var slash = rawPath.IndexOf('/');
        var bucket = SigV4.UriDecode(slash < 0 ? rawPath : rawPath[..slash]);
        var key = slash < 0 ? "" : SigV4.UriDecode(rawPath[(slash + 1)..]);
        // The JavaScript SDK adds "x-id=<Operation>" to some requests; it carries no meaning for routing.
        var query = request.Query.Where(q => q.Key != "x-id").ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var method = request.Method;

        string operation;
        if (bucket.Length == 0)
            operation = HttpMethods.IsGet(method) ? "ListBuckets" : "Unknown";
        else if (key.Length == 0)
            operation = method switch
            {
                "PUT" => "CreateBucket",
                "HEAD" => "HeadBucket",
                "DELETE" => "DeleteBucket",
                "POST" when query.ContainsKey("delete") => "DeleteObjects",
                "GET" when query.ContainsKey("uploads") => "ListMultipartUploads",
                "GET" when query.ContainsKey("location") => "GetBucketLocation",
                "GET" when query.TryGetValue("list-type", out var listType) && listType == "2" => "ListObjectsV2",
                "GET" when query.Count == 0 || query.Keys.All(k => k is "prefix" or "delimiter" or "marker" or "max-keys" or "encoding-type") => "ListObjects",
                _ => "Unknown",
            };
        else
            operation = method switch
            {
                "PUT" when query.ContainsKey("uploadId") && request.Headers.ContainsKey("x-amz-copy-source") => "UploadPartCopy",
                "PUT" when query.ContainsKey("uploadId") => "UploadPart",
                "PUT" when request.Headers.ContainsKey("x-amz-copy-source") => "CopyObject",
                "PUT" when query.Count == 0 => "PutObject",
                "GET" when query.ContainsKey("uploadId") => "ListParts",
                "GET" when !query.Keys.Any(k => k is "acl" or "tagging" or "attributes" or "torrent" or "legal-hold" or "retention") => "GetObject",
                "HEAD" => "HeadObject",
                "DELETE" when query.ContainsKey("uploadId") => "AbortMultipartUpload",
                "DELETE" when !query.ContainsKey("tagging") => "DeleteObject",
                "POST" when query.ContainsKey("uploads") => "CreateMultipartUpload",
                "POST" when query.ContainsKey("uploadId") => "CompleteMultipartUpload",
                _ => "Unknown",
            };
        return new Route(bucket, key, operation);
    }

    public async Task HandleAsync(HttpContext context, VerifiedRequest request)
    {
        var route = context.Items[RouteItem] as Route ?? Resolve(context);
        var requestId = AwsErrors.RequestId(context);
        context.Response.Headers["x-amz-request-id"] = requestId;
        context.Response.Headers["x-amz-id-2"] = AwsErrors.HostId(requestId);
        try
        {
            if (_context.Knobs.Current.S3?.AccessDeniedOperations?.Contains(route.Operation, StringComparer.Ordinal) == true)
            {
                await AwsErrors.WriteS3ErrorAsync(context, 403, "AccessDenied", "Access Denied").ConfigureAwait(false);
                return;
            }

            if (IsInOtherRegion(route, request, out var bucketRegion))
            {
                await WritePermanentRedirectAsync(context, route.Bucket, bucketRegion).ConfigureAwait(false);
                return;
            }

            await (route.Operation switch
            {
                "ListBuckets" => ListBucketsAsync(context),
                "CreateBucket" => CreateBucketAsync(context, request, route),
                "HeadBucket" => HeadBucketAsync(context, route),
                "DeleteBucket" => DeleteBucketAsync(context, route),
                "GetBucketLocation" => GetBucketLocationAsync(context, route),
                "ListObjectsV2" => ListObjectsAsync(context, route, v2: true),
                "ListObjects" => ListObjectsAsync(context, route, v2: false),
                "DeleteObjects" => DeleteObjectsAsync(context, request, route),
                "ListMultipartUploads" => ListMultipartUploadsAsync(context, route),
                "PutObject" => PutObjectAsync(context, request, route),
                "CopyObject" => CopyObjectAsync(context, route),
                "GetObject" => GetObjectAsync(context, route, headOnly: false),
                "HeadObject" => GetObjectAsync(context, route, headOnly: true),
                "DeleteObject" => DeleteObjectAsync(context, route),
                "CreateMultipartUpload" => CreateMultipartUploadAsync(context, route),
                "UploadPart" => UploadPartAsync(context, request, route),
                "CompleteMultipartUpload" => CompleteMultipartUploadAsync(context, request, route),
                "AbortMultipartUpload" => AbortMultipartUploadAsync(context, route),
                "ListParts" => ListPartsAsync(context, route),
                _ => AwsErrors.WriteS3ErrorAsync(context, 501, "NotImplemented",
                    $"The local endpoint does not implement {context.Request.Method} {context.Request.Path}{context.Request.QueryString}."),
            }).ConfigureAwait(false);
        }
        catch (S3StoreException e)
        {
            await WriteErrorAsync(context, e).ConfigureAwait(false);
        }
    }

    private static Task WriteErrorAsync(HttpContext context, S3StoreException e)
    {
        var extra = new Dictionary<string, string>();
        switch (e.Code)
        {
            case "NoSuchBucket" or "BucketAlreadyOwnedByYou" or "BucketNotEmpty" or "InvalidBucketName" when e.Resource is not null:
                extra["BucketName"] = e.Resource;
                break;
            case "NoSuchKey" when e.Resource is not null:
                extra["Key"] = e.Resource;
                break;
            case "NoSuchUpload" when e.Resource is not null:
                extra["UploadId"] = e.Resource;
                break;
            case "InvalidRange" when e.Resource is not null:
                extra["ActualObjectSize"] = e.Resource;
                break;
        }
        return AwsErrors.WriteS3ErrorAsync(context, e.Status, e.Code, e.Message, extra);
    }

    // ---- buckets ----

    private async Task ListBucketsAsync(HttpContext context)
    {
        var root = new XElement(Ns + "ListAllMyBucketsResult",
            Owner(),
            new XElement(Ns + "Buckets", Store.Buckets().Select(b => new XElement(Ns + "Bucket",
                new XElement(Ns + "Name", b.Name),
                new XElement(Ns + "CreationDate", S3Time(b.Created))))));
        await WriteXmlAsync(context, root).ConfigureAwait(false);
    }

    private async Task CreateBucketAsync(HttpContext context, VerifiedRequest request, Route route)
    {
        var body = await ReceiveSmallBodyAsync(context, request).ConfigureAwait(false);
        S3Store.ValidateBucketName(route.Bucket);
        var region = LocationConstraintOf(body);
        if (Store.BucketExists(route.Bucket))
            throw new S3StoreException(409, "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.", route.Bucket);
        Store.CreateBucket(route.Bucket, region);
        context.Response.Headers.Location = "/" + route.Bucket;
    }

    /// <summary>The region a CreateBucket body asks for, checked as S3 checks it: us-east-1 (the global endpoint) accepts any
    /// region but itself, which is the default there and must be left out; another region's endpoint accepts only its own.
    /// Null when the body names none (the bucket is then in the served region).</summary>
    private string? LocationConstraintOf(byte[] body)
    {
        if (body.Length == 0)
            return null;
        XElement root;
        try
        {
            root = XElement.Parse(System.Text.Encoding.UTF8.GetString(body));
        }
        catch (System.Xml.XmlException)
        {
            throw new S3StoreException(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.");
        }

        var constraint = root.Element(Ns + "LocationConstraint")?.Value ?? root.Element("LocationConstraint")?.Value;
        if (string.IsNullOrEmpty(constraint))
            return null;
        var region = constraint == "EU" ? "eu-west-1" : constraint;
        if (!System.Text.RegularExpressions.Regex.IsMatch(region, "^[a-z]{2,4}(-[a-z]+)+-[0-9]+$") || region == "us-east-1" && constraint == region)
            throw new S3StoreException(400, "InvalidLocationConstraint", "The specified location-constraint is not valid");
        if (_context.Region != "us-east-1" && region != _context.Region)
            throw new S3StoreException(400, "IllegalLocationConstraintException",
                $"The {constraint} location constraint is incompatible for the region specific endpoint this request was sent to.");
        return region == _context.Region ? null : region;
    }

    private string RegionOf(string bucket) => Store.BucketRegion(bucket) ?? _context.Region;

    /// <summary>A call on a bucket of another region than the request was signed for: S3 sends it to the bucket's region
    /// (301 PermanentRedirect). ListBuckets, CreateBucket and GetBucketLocation are answered from any region.</summary>
    private bool IsInOtherRegion(Route route, VerifiedRequest request, out string bucketRegion)
    {
        bucketRegion = "";
        if (route.Bucket.Length == 0 || route.Operation is "ListBuckets" or "CreateBucket" or "GetBucketLocation" || !Store.BucketExists(route.Bucket))
            return false;
        bucketRegion = RegionOf(route.Bucket);
        return !string.Equals(bucketRegion, request.Region, StringComparison.Ordinal);
    }

    private static Task WritePermanentRedirectAsync(HttpContext context, string bucket, string region)
    {
        context.Response.Headers["x-amz-bucket-region"] = region;
        return AwsErrors.WriteS3ErrorAsync(context, 301, "PermanentRedirect",
            "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
            new Dictionary<string, string> { ["Endpoint"] = $"{bucket}.s3.{region}.amazonaws.com", ["Bucket"] = bucket });
    }

    private Task HeadBucketAsync(HttpContext context, Route route)
    {
        if (!Store.BucketExists(route.Bucket))
            throw new S3StoreException(404, "NoSuchBucket", "The specified bucket does not exist", route.Bucket);
        context.Response.Headers["x-amz-bucket-region"] = RegionOf(route.Bucket);
        return Task.CompletedTask;
    }

    private Task DeleteBucketAsync(HttpContext context, Route route)
    {
        Store.DeleteBucket(route.Bucket);
        context.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private Task GetBucketLocationAsync(HttpContext context, Route route)
    {
        if (!Store.BucketExists(route.Bucket))
            throw new S3StoreException(404, "NoSuchBucket", "The specified bucket does not exist", route.Bucket);
        var region = RegionOf(route.Bucket);
        return WriteXmlAsync(context, new XElement(Ns + "LocationConstraint", region == "us-east-1" ? null : region));
    }

    // ---- objects ----

    // ---- helpers ----

    internal static XElement Owner() => new(Ns + "Owner",
        new XElement(Ns + "ID", "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"),
        new XElement(Ns + "DisplayName", "local"));

    internal static string S3Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static string HttpTime(DateTimeOffset time) => time.UtcDateTime.ToString("R", CultureInfo.InvariantCulture);

    internal static async Task WriteXmlAsync(HttpContext context, XElement root, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml";
        var text = new XDeclaration("1.0", "UTF-8", null) + "\n" + root.ToString(SaveOptions.DisableFormatting);
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }
}

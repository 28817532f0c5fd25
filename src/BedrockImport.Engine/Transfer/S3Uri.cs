using System.Net;
using BedrockImport.Engine.Errors;

namespace BedrockImport.Engine.Transfer;

/// <summary>What is wrong with a string that should be an s3://bucket/key URI.</summary>
public enum S3UriProblem
{
    Empty,
    Whitespace,
    MissingScheme,
    WrongScheme,
    MissingSlashes,
    EmptyBucket,
    BucketLength,
    BucketUppercase,
    BucketCharacters,
    BucketStartOrEnd,
    BucketAdjacentPeriods,
    BucketIpAddress,
    BucketReservedName,
    KeyTooLong,
}

public sealed class S3UriFormatException : FormatException, IEngineError
{
    public S3UriFormatException(S3UriProblem problem, string message) : base(message)
    {
        Problem = problem;
    }

    public S3UriProblem Problem { get; }

    public string ErrorId => "InvalidS3Uri";

    public ErrorKind Kind => ErrorKind.Invalid;
}

/// <summary>An S3 location: s3://bucket/key-or-prefix. The key may be empty (the whole bucket).</summary>
public sealed class S3Uri : IEquatable<S3Uri>
{
    private const string Scheme = "s3://";
    private const int MaxKeyBytes = 1024;

    public S3Uri(string bucket, string key)
    {
        var problem = ValidateBucket(bucket ?? "", out var message);
        if (problem != null)
        {
            throw new S3UriFormatException(problem.Value, message!);
        }

        // The same bound Parse applies, so that every S3Uri formats to text Parse takes back (Append can build a long key).
        if (System.Text.Encoding.UTF8.GetByteCount(key ?? "") > MaxKeyBytes)
        {
            throw new S3UriFormatException(S3UriProblem.KeyTooLong, $"The object key under s3://{bucket}/ is longer than {MaxKeyBytes} bytes of UTF-8, the most S3 allows.");
        }

        Bucket = bucket!;
        Key = key ?? "";
    }

    public string Bucket { get; }

    /// <summary>The object key or key prefix, as written after the bucket (may be empty).</summary>
    public string Key { get; }

    /// <summary>The key as a folder: empty, or ending with '/'.</summary>
    public string FolderPrefix => Key.Length == 0 || Key.EndsWith("/", StringComparison.Ordinal) ? Key : Key + "/";

    /// <summary>This location as a folder with relativeKey ('/'-separated) under it.</summary>
    public S3Uri Append(string relativeKey) => new S3Uri(Bucket, FolderPrefix + relativeKey.TrimStart('/'));

    public static S3Uri Parse(string value)
    {
        var problem = TryParseCore(value, out var uri, out var message);
        if (problem != null)
        {
            throw new S3UriFormatException(problem.Value, message!);
        }

        return uri!;
    }

    public static bool TryParse(string? value, out S3Uri? uri)
    {
        return TryParseCore(value, out uri, out _) == null;
    }

    public override string ToString() => Scheme + Bucket + "/" + Key;

    public bool Equals(S3Uri? other) => other != null && other.Bucket == Bucket && other.Key == Key;

    public override bool Equals(object? obj) => Equals(obj as S3Uri);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Bucket) ^ StringComparer.Ordinal.GetHashCode(Key);

    private static S3UriProblem? TryParseCore(string? value, out S3Uri? uri, out string? message)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            message = "The S3 URI is empty. Use the form s3://bucket/prefix/.";
            return S3UriProblem.Empty;
        }

        var text = value!;
        if (text.Trim().Length != text.Length)
        {
            message = $"The S3 URI '{text}' starts or ends with whitespace. Use the form s3://bucket/prefix/.";
            return S3UriProblem.Whitespace;
        }

        var colon = text.IndexOf(':');
        var slash = text.IndexOf('/');
        if (colon < 0 || (slash >= 0 && slash < colon))
        {
            message = $"The S3 URI '{text}' has no scheme. Use the form s3://{text.TrimStart('/')}.";
            return S3UriProblem.MissingScheme;
        }

        var scheme = text.Substring(0, colon);
        if (!string.Equals(scheme, "s3", StringComparison.OrdinalIgnoreCase))
        {
            message = $"The S3 URI '{text}' has the scheme '{scheme}:'; only s3://bucket/prefix/ is accepted (not an https:// object URL).";
            return S3UriProblem.WrongScheme;
        }

        if (string.Compare(text, colon, "://", 0, 3, StringComparison.Ordinal) != 0)
        {
            message = $"The S3 URI '{text}' must have two slashes after 's3:', as in s3://bucket/prefix/.";
            return S3UriProblem.MissingSlashes;
        }

        var rest = text.Substring(colon + 3);
        var end = rest.IndexOf('/');
        var bucket = end < 0 ? rest : rest.Substring(0, end);
        var key = end < 0 ? "" : rest.Substring(end + 1);
        var problem = ValidateBucket(bucket, out message);
        if (problem != null)
        {
            message = $"The S3 URI '{text}' is not valid: {message}";
            return problem;
        }

        if (System.Text.Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            message = $"The S3 URI '{text}' is not valid: an object key is at most {MaxKeyBytes} bytes of UTF-8.";
            return S3UriProblem.KeyTooLong;
        }

        uri = new S3Uri(bucket, key);
        return null;
    }

    /// <summary>The general purpose bucket naming rules of Amazon S3.</summary>
    private static S3UriProblem? ValidateBucket(string bucket, out string? message)
    {
        message = null;
        if (bucket.Length == 0)
        {
            message = "the bucket name is empty (expected s3://bucket/prefix/).";
            return S3UriProblem.EmptyBucket;
        }

        if (bucket.Length < 3 || bucket.Length > 63)
        {
            message = $"the bucket name '{bucket}' has {bucket.Length} characters; bucket names have 3 to 63.";
            return S3UriProblem.BucketLength;
        }

        foreach (var c in bucket)
        {
            if (c >= 'A' && c <= 'Z')
            {
                message = $"the bucket name '{bucket}' contains upper-case letters; bucket names are lower case.";
                return S3UriProblem.BucketUppercase;
            }
        }

        foreach (var c in bucket)
        {
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            {
                var shown = char.IsWhiteSpace(c) ? "a space" : "'" + c + "'";
                message = $"the bucket name '{bucket}' contains {shown}; only lower-case letters, digits, '.' and '-' are allowed.";
                return S3UriProblem.BucketCharacters;
            }
        }

        if (!char.IsLetterOrDigit(bucket[0]) || !char.IsLetterOrDigit(bucket[bucket.Length - 1]))
        {
            message = $"the bucket name '{bucket}' must begin and end with a letter or digit.";
            return S3UriProblem.BucketStartOrEnd;
        }

        if (bucket.Contains(".."))
        {
            message = $"the bucket name '{bucket}' contains two adjacent periods.";
            return S3UriProblem.BucketAdjacentPeriods;
        }

        if (bucket.Split('.').Length == 4 && IPAddress.TryParse(bucket, out _))
        {
            message = $"the bucket name '{bucket}' is formatted as an IP address.";
            return S3UriProblem.BucketIpAddress;
        }

        foreach (var prefix in new[] { "xn--", "sthree-", "amzn-s3-demo-" })
        {
            if (bucket.StartsWith(prefix, StringComparison.Ordinal))
            {
                message = $"the bucket name '{bucket}' starts with the reserved prefix '{prefix}'.";
                return S3UriProblem.BucketReservedName;
            }
        }

        foreach (var suffix in new[] { "-s3alias", "--ol-s3", ".mrap" })
        {
            if (bucket.EndsWith(suffix, StringComparison.Ordinal))
            {
                message = $"the bucket name '{bucket}' ends with the reserved suffix '{suffix}'.";
                return S3UriProblem.BucketReservedName;
            }
        }

        return null;
    }
}

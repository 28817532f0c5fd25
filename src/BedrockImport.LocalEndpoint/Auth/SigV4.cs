using System.Security.Cryptography;
using System.Text;

namespace BedrockImport.LocalEndpoint.Auth;

/// <summary>SigV4 primitives (independent implementation of the AWS Signature Version 4 rules).</summary>
internal static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";
    public const string StreamingSigned = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    public const string StreamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    public const string StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        return Hmac(key, "aws4_request");
    }

    public static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static string Sha256Hex(string text) => Hex(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static string Sign(byte[] signingKey, string stringToSign) => Hex(Hmac(signingKey, stringToSign));

    public static bool SignaturesEqual(string expected, string provided)
        => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(provided.ToLowerInvariant()));

    /// <summary>RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX (upper case).</summary>
    public static string UriEncode(string value, bool keepSlash)
    {
        var sb = new StringBuilder(value.Length + 16);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.' or '~' || (keepSlash && c == '/'))
                sb.Append(c);
            else
                sb.Append('%').Append(((int)b).ToString("X2"));
        }
        return sb.ToString();
    }

    /// <summary>Percent-decoding without treating '+' as a space (SigV4 clients encode spaces as %20).</summary>
    public static string UriDecode(string value) => value.IndexOf('%') < 0 ? value : Uri.UnescapeDataString(value);

    public static List<KeyValuePair<string, string>> ParseQuery(string rawQuery)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (rawQuery.StartsWith('?'))
            rawQuery = rawQuery[1..];
        foreach (var part in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            pairs.Add(new(UriDecode(name), UriDecode(value)));
        }
        return pairs;
    }

    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> pairs)
        => string.Join('&', pairs
            .Select(p => (Name: UriEncode(p.Key, false), Value: UriEncode(p.Value, false)))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));

    /// <summary>Trims a header value and collapses runs of spaces, as the canonical header rules require.</summary>
    public static string CanonicalHeaderValue(string value)
    {
        var sb = new StringBuilder(value.Length);
        var previousSpace = false;
        foreach (var c in value.Trim())
        {
            if (c == ' ')
            {
                if (!previousSpace)
                    sb.Append(c);
                previousSpace = true;
            }
            else
            {
                sb.Append(c);
                previousSpace = false;
            }
        }
        return sb.ToString();
    }

    public static string StringToSign(string amzDate, string scope, string canonicalRequest)
        => $"{Algorithm}\n{amzDate}\n{scope}\n{Sha256Hex(canonicalRequest)}";
}

using System.Globalization;
using System.Text;

namespace BedrockImport.Engine.Wire;

/// <summary>rest-json wire formatting: URI labels, query strings, timestamps.</summary>
internal static class AwsWire
{
    /// <summary>RFC 3986 percent-encoding of UTF-8 with only A-Z a-z 0-9 - . _ ~ left as is (':' -> %3A, '/' -> %2F).</summary>
    public static string Encode(string value)
    {
        var builder = new StringBuilder(value.Length * 3);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(((int)b).ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>yyyy-MM-ddTHH:mm:ssZ in UTC. Local and Unspecified values are converted from local time, as DateTime.ToUniversalTime does.</summary>
    public static string FormatTimestamp(DateTime value)
        => (value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime()).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Builds endpoint + already-encoded path + query. The endpoint's own path (if any) is kept as a prefix.</summary>
    public static Uri BuildUri(Uri endpoint, string encodedPath, IEnumerable<KeyValuePair<string, string>>? query = null)
    {
        var builder = new StringBuilder();
        builder.Append(endpoint.GetLeftPart(UriPartial.Authority));
        builder.Append(endpoint.AbsolutePath.TrimEnd('/'));
        builder.Append(encodedPath);
        if (query != null)
        {
            var separator = '?';
            foreach (var pair in query)
            {
                builder.Append(separator).Append(Encode(pair.Key)).Append('=').Append(Encode(pair.Value));
                separator = '&';
            }
        }

        return new Uri(builder.ToString(), UriKind.Absolute);
    }
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using BedrockImport.Shared;

namespace BedrockImport.Engine.Wire;

/// <summary>Turns an AWS error answer (status, x-amzn-ErrorType, a rest-json or JSON 1.1 body) into the typed exception for its code.</summary>
internal static class AwsErrors
{
    private const int MaxErrorBodyBytes = 256 * 1024;

    public static async Task<AwsServiceException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(response.Content, MaxErrorBodyBytes, cancellationToken).ConfigureAwait(false);
        return FromParts(
            (int)response.StatusCode,
            response.ReasonPhrase,
            Header(response, "x-amzn-ErrorType"),
            response.Content?.Headers.ContentType?.MediaType,
            body,
            RequestId(response),
            RetryAfter(response));
    }

    public static AwsServiceException FromParts(int statusCode, string? reasonPhrase, string? errorTypeHeader, string? contentType,
        byte[] body, string? requestId, TimeSpan? retryAfter)
    {
        var code = string.IsNullOrWhiteSpace(errorTypeHeader) ? null : SanitizeCode(errorTypeHeader!);
        JsonElement? document = null;
        if (body.Length > 0)
        {
            try
            {
                using var parsed = StrictJson.Parse(body);
                if (parsed.RootElement.ValueKind == JsonValueKind.Object)
                {
                    document = parsed.RootElement.Clone();
                }
            }
            catch (JsonException)
            {
            }
        }

        string? message = null;
        if (document is JsonElement json)
        {
            code ??= SanitizeOrNull(JsonMembers.String(json, "code") ?? JsonMembers.String(json, "Code") ?? JsonMembers.String(json, "__type"));
            message = JsonMembers.Message(json);
        }

        var status = DescribeStatus(statusCode, reasonPhrase);
        if (document == null && body.Length > 0)
        {
            // Not an AWS error document (e.g. an HTML page from a proxy): name it, do not dump it.
            var what = string.IsNullOrEmpty(contentType) ? "a non-JSON" : "a '" + contentType + "'";
            message = $"The service returned {status} with {what} body of {body.Length} bytes instead of an AWS error response; "
                      + "a proxy, gateway or load balancer may have answered instead of the AWS endpoint.";
        }

        code ??= "HttpStatus" + statusCode.ToString(CultureInfo.InvariantCulture);
        if (string.IsNullOrEmpty(message))
        {
            message = body.Length == 0
                ? $"{code}: the service returned {status} with an empty body."
                : $"{code}: the service returned {status} without an error message.";
        }

        var error = AwsErrorCatalog.Create(code, message!, statusCode, requestId, document);
        error.RetryAfter = retryAfter;
        return error;
    }

    /// <summary>Keeps the part before the first ':' or ',' and then the part after the last '#'.</summary>
    public static string SanitizeCode(string raw)
    {
        var code = raw.Trim();
        var cut = code.IndexOfAny(new[] { ':', ',' });
        if (cut >= 0)
        {
            code = code.Substring(0, cut);
        }

        var hash = code.LastIndexOf('#');
        if (hash >= 0)
        {
            code = code.Substring(hash + 1);
        }

        return code.Trim();
    }

    public static string? RequestId(HttpResponseMessage response) => Header(response, "x-amzn-RequestId");

    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var value = Header(response, "x-amz-retry-after");
        return value != null && long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            ? TimeSpan.FromMilliseconds(milliseconds)
            : (TimeSpan?)null;
    }

    public static string? Header(HttpResponseMessage response, string name)
    {
        if (response.Headers.TryGetValues(name, out var values) || (response.Content != null && response.Content.Headers.TryGetValues(name, out values)))
        {
            return values.FirstOrDefault();
        }

        return null;
    }

    public static string DescribeStatus(int statusCode, string? reasonPhrase)
    {
        var reason = !string.IsNullOrWhiteSpace(reasonPhrase) && reasonPhrase!.Length <= 64
            ? reasonPhrase
            : Enum.IsDefined(typeof(HttpStatusCode), statusCode) ? ((HttpStatusCode)statusCode).ToString() : null;
        return reason == null ? $"HTTP {statusCode}" : $"HTTP {statusCode} ({reason})";
    }

    public static async Task<byte[]> ReadBodyAsync(HttpContent? content, int limit, CancellationToken cancellationToken)
    {
        if (content == null)
        {
            return Array.Empty<byte>();
        }

        using var stream = await content.ReadAsStreamAsync().ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while (buffer.Length < limit && (read = await stream.ReadAsync(chunk, 0, chunk.Length, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static string? SanitizeOrNull(string? raw) => string.IsNullOrWhiteSpace(raw) ? null : SanitizeCode(raw!);
}

using System.Security;
using System.Text;
using System.Text.Json;

namespace BedrockImport.LocalEndpoint.Hosting;

/// <summary>Writes AWS error responses: S3 XML and REST-JSON (Bedrock). Shared by every handler.</summary>
public static class AwsErrors
{
    public const string RequestIdItem = "aws-request-id";

    /// <summary>The request id of this request (created on first use, also sent as x-amzn-RequestId / x-amz-request-id).</summary>
    public static string RequestId(HttpContext context)
    {
        if (context.Items.TryGetValue(RequestIdItem, out var id) && id is string s)
            return s;
        s = Guid.NewGuid().ToString();
        context.Items[RequestIdItem] = s;
        return s;
    }

    /// <summary>REST-JSON error: status, x-amzn-ErrorType: code, x-amzn-RequestId, body {"message": ...} plus extra members.</summary>
    public static async Task WriteJsonErrorAsync(HttpContext context, int status, string code, string message,
        IReadOnlyDictionary<string, object?>? extra = null, string messageMember = "message")
    {
        var response = context.Response;
        if (response.HasStarted)
            throw new InvalidOperationException("The response has already started; cannot write an error.");
        response.StatusCode = status;
        response.Headers["x-amzn-ErrorType"] = code;
        response.Headers["x-amzn-RequestId"] = RequestId(context);
        response.ContentType = "application/json";
        var body = new Dictionary<string, object?> { [messageMember] = message };
        if (extra is not null)
            foreach (var pair in extra)
                body[pair.Key] = pair.Value;
        await response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>S3 XML error. HEAD requests get the status only, like S3.</summary>
    public static async Task WriteS3ErrorAsync(HttpContext context, int status, string code, string message,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        var response = context.Response;
        if (response.HasStarted)
            throw new InvalidOperationException("The response has already started; cannot write an error.");
        var requestId = RequestId(context);
        response.StatusCode = status;
        response.Headers["x-amz-request-id"] = requestId;
        response.Headers["x-amz-id-2"] = HostId(requestId);
        if (HttpMethods.IsHead(context.Request.Method))
            return;
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
        xml.Append("<Code>").Append(SecurityElement.Escape(code)).Append("</Code>");
        xml.Append("<Message>").Append(SecurityElement.Escape(message)).Append("</Message>");
        if (extra is not null)
            foreach (var pair in extra)
                xml.Append('<').Append(pair.Key).Append('>').Append(SecurityElement.Escape(pair.Value)).Append("</").Append(pair.Key).Append('>');
        xml.Append("<RequestId>").Append(requestId).Append("</RequestId>");
        xml.Append("<HostId>").Append(HostId(requestId)).Append("</HostId></Error>");
        response.ContentType = "application/xml";
        await response.WriteAsync(xml.ToString(), context.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteErrorAsync(HttpContext context, ErrorStyle style, int status, string code, string message)
        => style == ErrorStyle.S3Xml
            ? WriteS3ErrorAsync(context, status, code, message)
            : WriteJsonErrorAsync(context, status, code, message);

    internal static string HostId(string requestId)
        => Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(requestId)));
}

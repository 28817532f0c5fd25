namespace BedrockImport.LocalEndpoint.Auth;

/// <summary>A request whose SigV4 signature checked out.</summary>
public sealed class VerifiedRequest
{
    internal VerifiedRequest(string accessKeyId, string region, string service, string amzDate, string signature,
        string payloadHash, byte[] signingKey, bool presigned)
    {
        AccessKeyId = accessKeyId;
        Region = region;
        Service = service;
        AmzDate = amzDate;
        Signature = signature;
        PayloadHash = payloadHash;
        SigningKey = signingKey;
        Presigned = presigned;
    }

    /// <summary>A request authorized by a Bedrock API key ("Authorization: Bearer"): no access key, date or signature.</summary>
    internal static VerifiedRequest ForBearerToken(string region, string service)
        => new("", region, service, "", "", "", Array.Empty<byte>(), presigned: false) { IsBearerToken = true };

    /// <summary>True when a Bedrock API key, not SigV4, authorized the request.</summary>
    public bool IsBearerToken { get; private init; }

    public string AccessKeyId { get; }

    public string Region { get; }

    /// <summary>Signing service from the credential scope ("s3", "bedrock").</summary>
    public string Service { get; }

    /// <summary>X-Amz-Date as signed (yyyyMMddTHHmmssZ).</summary>
    public string AmzDate { get; }

    public string Signature { get; }

    /// <summary>x-amz-content-sha256 value (hex hash, UNSIGNED-PAYLOAD or a STREAMING-* marker) or the computed body hash.</summary>
    public string PayloadHash { get; }

    public bool Presigned { get; }

    /// <summary>The resolved operation ("PutObject"), set by the host before the handler runs.</summary>
    public string? Operation { get; internal set; }

    public string Scope => IsBearerToken ? "" : $"{AmzDate.Substring(0, 8)}/{Region}/{Service}/aws4_request";

    internal byte[] SigningKey { get; }

    public override string ToString() => $"{Service}:{Operation} ({(IsBearerToken ? "bearer token" : AccessKeyId)})";
}

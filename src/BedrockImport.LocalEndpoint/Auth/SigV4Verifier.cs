using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace BedrockImport.LocalEndpoint.Auth;

internal enum AuthFailureKind
{
    Malformed,
    UnknownAccessKey,
    TimeSkewed,
    Expired,
    SignatureMismatch,
    /// <summary>The credential scope names a region the endpoint does not serve.</summary>
    WrongRegion,
}

internal sealed record AuthFailure(AuthFailureKind Kind, string Message, string? AccessKeyId = null,
    string? AmzDate = null, string? CanonicalRequest = null, string? StringToSign = null, string? ClaimedRegion = null, bool Presigned = false);

/// <summary>What the Authorization header or the presigned query claims, before verification.</summary>
internal sealed record SignatureClaim(string AccessKeyId, string Date, string Region, string Service,
    IReadOnlyList<string> SignedHeaders, string Signature, string? AmzDate, bool Presigned, int ExpiresSeconds)
{
    public override string ToString() => $"{Service} ({AccessKeyId})";
}

/// <summary>Verifies SigV4 (header and presigned-query forms) against the configured key pairs and the served region.</summary>
internal sealed class SigV4Verifier
{
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);

    private readonly IReadOnlyDictionary<string, string> _secretsByAccessKey;
    private readonly string _region;
    private readonly TimeProvider _clock;

    public SigV4Verifier(IReadOnlyDictionary<string, string> secretsByAccessKey, string region, TimeProvider clock)
    {
        _secretsByAccessKey = secretsByAccessKey;
        _region = region;
        _clock = clock;
    }

    public static bool IsSigned(HttpRequest request)
        => request.Headers.Authorization.ToString().StartsWith(SigV4.Algorithm, StringComparison.Ordinal)
           || request.Query.ContainsKey("X-Amz-Credential");

    /// <summary>Parses the claim; null with a failure when the signature fields are malformed.</summary>
    public static SignatureClaim? ParseClaim(HttpRequest request, out AuthFailure? failure)
    {
        failure = null;
        string? credential, signedHeaders, signature, amzDate;
        var presigned = false;
        var expires = 0;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith(SigV4.Algorithm, StringComparison.Ordinal))
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var field in authorization[SigV4.Algorithm.Length..]
                         .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                         .Select(f => f.Split('=', 2))
                         .Where(f => f.Length == 2))
            {
                if (!fields.TryAdd(field[0].Trim(), field[1].Trim()))
                {
                    failure = new AuthFailure(AuthFailureKind.Malformed, $"Authorization header has '{field[0].Trim()}' more than once.");
                    return null;
                }
            }
            fields.TryGetValue("Credential", out credential);
            fields.TryGetValue("SignedHeaders", out signedHeaders);
            fields.TryGetValue("Signature", out signature);
            amzDate = request.Headers["x-amz-date"].ToString();
        }
        else
        {
            presigned = true;
            credential = request.Query["X-Amz-Credential"].ToString();
            signedHeaders = request.Query["X-Amz-SignedHeaders"].ToString();
            signature = request.Query["X-Amz-Signature"].ToString();
            amzDate = request.Query["X-Amz-Date"].ToString();
            if (request.Query["X-Amz-Algorithm"].ToString() != SigV4.Algorithm)
            {
                failure = new AuthFailure(AuthFailureKind.Malformed, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
                return null;
            }
            if (!int.TryParse(request.Query["X-Amz-Expires"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out expires))
            {
                failure = new AuthFailure(AuthFailureKind.Malformed, "X-Amz-Expires must be a number of seconds.");
                return null;
            }
        }

        var scope = (credential ?? "").Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request" || string.IsNullOrEmpty(signedHeaders) || string.IsNullOrEmpty(signature))
        {
            failure = new AuthFailure(AuthFailureKind.Malformed,
                "Authorization header requires 'Credential' (AK/date/region/service/aws4_request), 'SignedHeaders' and 'Signature'.");
            return null;
        }
        return new SignatureClaim(scope[0], scope[1], scope[2], scope[3], signedHeaders.Split(';'), signature,
            string.IsNullOrEmpty(amzDate) ? null : amzDate, presigned, expires);
    }

    public async Task<(VerifiedRequest? Verified, AuthFailure? Failure)> VerifyAsync(HttpContext context, SignatureClaim claim,
        bool singleEncodedUri)
    {
        // Like AWS, a scope for another region is refused before the key or the signature is looked at.
        if (!string.Equals(claim.Region, _region, StringComparison.Ordinal))
            return (null, new AuthFailure(AuthFailureKind.WrongRegion,
                $"The region '{claim.Region}' is wrong; expecting '{_region}'.",
                ClaimedRegion: claim.Region, Presigned: claim.Presigned));

        if (!_secretsByAccessKey.TryGetValue(claim.AccessKeyId, out var secret))
            return (null, new AuthFailure(AuthFailureKind.UnknownAccessKey, "The AWS Access Key Id you provided does not exist in our records.", claim.AccessKeyId));

        if (claim.AmzDate is null || !DateTimeOffset.TryParseExact(claim.AmzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var signedAt))
            return (null, new AuthFailure(AuthFailureKind.Malformed, "Missing or malformed X-Amz-Date (expected yyyyMMddTHHmmssZ).", claim.AccessKeyId));
        if (claim.Date != claim.AmzDate[..8])
            return (null, new AuthFailure(AuthFailureKind.Malformed, "Invalid credential date. Date is not the same as X-Amz-Date.", claim.AccessKeyId));

        var now = _clock.GetUtcNow();
        if (claim.Presigned)
        {
            if (now > signedAt.AddSeconds(claim.ExpiresSeconds))
                return (null, new AuthFailure(AuthFailureKind.Expired, "Request has expired", claim.AccessKeyId, claim.AmzDate));
            if (signedAt - now > MaxSkew)
                return (null, new AuthFailure(AuthFailureKind.TimeSkewed, "Request is not valid yet", claim.AccessKeyId, claim.AmzDate));
        }
        else if ((now - signedAt).Duration() > MaxSkew)
        {
            return (null, new AuthFailure(AuthFailureKind.TimeSkewed,
                "The difference between the request time and the current time is too large.", claim.AccessKeyId, claim.AmzDate));
        }

        var request = context.Request;
        string payloadHash = request.Headers["x-amz-content-sha256"].ToString();
        if (string.IsNullOrEmpty(payloadHash))
            payloadHash = claim.Presigned ? SigV4.UnsignedPayload : await HashBodyAsync(request).ConfigureAwait(false);

        var canonicalRequest = CanonicalRequest(context, claim, singleEncodedUri, payloadHash);
        var scope = $"{claim.Date}/{claim.Region}/{claim.Service}/aws4_request";
        var stringToSign = SigV4.StringToSign(claim.AmzDate, scope, canonicalRequest);
        var signingKey = SigV4.SigningKey(secret, claim.Date, claim.Region, claim.Service);
        var expected = SigV4.Sign(signingKey, stringToSign);
        if (!SigV4.SignaturesEqual(expected, claim.Signature))
            return (null, new AuthFailure(AuthFailureKind.SignatureMismatch,
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                claim.AccessKeyId, claim.AmzDate, canonicalRequest, stringToSign));

        return (new VerifiedRequest(claim.AccessKeyId, claim.Region, claim.Service, claim.AmzDate, expected, payloadHash,
            signingKey, claim.Presigned), null);
    }

    internal static string CanonicalRequest(HttpContext context, SignatureClaim claim, bool singleEncodedUri, string payloadHash)
    {
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(rawTarget) || !rawTarget.StartsWith('/'))
            rawTarget = request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
        var q = rawTarget.IndexOf('?');
        var rawPath = q < 0 ? rawTarget : rawTarget[..q];
        var rawQuery = q < 0 ? "" : rawTarget[(q + 1)..];
        if (rawPath.Length == 0)
            rawPath = "/";
        var canonicalUri = singleEncodedUri
            ? SigV4.UriEncode(SigV4.UriDecode(rawPath), keepSlash: true)
            : SigV4.UriEncode(rawPath, keepSlash: true);

        var query = SigV4.ParseQuery(rawQuery);
        if (claim.Presigned)
            query.RemoveAll(p => p.Key == "X-Amz-Signature");

        var headers = new StringBuilder();
        foreach (var name in claim.SignedHeaders)
        {
            // Over HTTP/2 the JavaScript SDK signs the ":authority" pseudo-header; Kestrel exposes it only as Host.
            var values = name == ":authority" ? request.Headers.Host : request.Headers[name];
            headers.Append(name.ToLowerInvariant()).Append(':')
                .Append(string.Join(',', values.Select(v => SigV4.CanonicalHeaderValue(v ?? "")))).Append('\n');
        }

        return string.Join('\n', request.Method, canonicalUri, SigV4.CanonicalQuery(query), headers.ToString(),
            string.Join(';', claim.SignedHeaders), payloadHash);
    }

    private static async Task<string> HashBodyAsync(HttpRequest request)
    {
        request.EnableBuffering();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
            sha.AppendData(buffer, 0, read);
        request.Body.Position = 0;
        return SigV4.Hex(sha.GetHashAndReset());
    }
}

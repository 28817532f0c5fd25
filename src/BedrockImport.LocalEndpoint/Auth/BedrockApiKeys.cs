using System.Security.Cryptography;
using System.Text;

namespace BedrockImport.LocalEndpoint.Auth;

/// <summary>Why a bearer token was refused.</summary>
public enum ApiKeyRefusal
{
    None,
    /// <summary>Not shaped like a Bedrock API key (neither the long-term "ABSK" nor the short-term "bedrock-api-key-" prefix).</summary>
    WrongFormat,
    /// <summary>Shaped like a key, but not one this endpoint issued.</summary>
    Unknown,
}

/// <summary>
/// The Bedrock API keys (bearer tokens) the endpoint accepts on its Bedrock and Bedrock Runtime routes. The key it issues
/// is shaped like a long-term key: "ABSK" + base64("BedrockAPIKey-&lt;4 chars&gt;-at-&lt;account&gt;:&lt;random secret&gt;").
/// </summary>
public sealed class BedrockApiKeys
{
    public const string LongTermPrefix = "ABSK";
    public const string ShortTermPrefix = "bedrock-api-key-";
    private const string Scheme = "Bearer ";

    private readonly byte[] _issuedHash;

    public BedrockApiKeys(string issuedKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(issuedKey);
        IssuedKey = issuedKey;
        _issuedHash = SHA256.HashData(Encoding.UTF8.GetBytes(issuedKey));
    }

    /// <summary>The key handed to the caller at start (printed once in the start-up JSON line, never logged).</summary>
    public string IssuedKey { get; }

    /// <summary>A fresh random key for the given account id.</summary>
    public static string NewKey(string accountId)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        var userSuffix = string.Create(4, 0, (chars, _) =>
        {
            for (var i = 0; i < chars.Length; i++)
                chars[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(44));
        var credential = $"BedrockAPIKey-{userSuffix}-at-{accountId}:{secret}";
        return LongTermPrefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(credential));
    }

    /// <summary>Whether the request carries "Authorization: Bearer …" (case-insensitive scheme, as RFC 7235 has it).</summary>
    public static bool HasBearer(HttpRequest request)
        => request.Headers.Authorization.ToString().StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Checks the request's bearer token in constant time against the issued key.</summary>
    public ApiKeyRefusal Check(HttpRequest request)
    {
        var token = request.Headers.Authorization.ToString()[Scheme.Length..].Trim();
        if (!token.StartsWith(LongTermPrefix, StringComparison.Ordinal) && !token.StartsWith(ShortTermPrefix, StringComparison.Ordinal))
            return ApiKeyRefusal.WrongFormat;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        return CryptographicOperations.FixedTimeEquals(presented, _issuedHash) ? ApiKeyRefusal.None : ApiKeyRefusal.Unknown;
    }

    public override string ToString() => "BedrockApiKeys(1 issued key)";
}

using System.Security.Cryptography;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>ARNs and ids the endpoint hands out (the member patterns are the Engine's BedrockPatterns).</summary>
internal static class BedrockIds
{
    public const string AccountId = "123456789012";

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>12 characters of [a-z0-9], as in model-import-job/… and imported-model/… ARNs.</summary>
    public static string NewId() => RandomNumberGenerator.GetString(IdAlphabet, 12);

    public static string JobArnFor(string region, string id) => $"arn:aws:bedrock:{region}:{AccountId}:model-import-job/{id}";

    public static string ModelArnFor(string region, string id) => $"arn:aws:bedrock:{region}:{AccountId}:imported-model/{id}";

    /// <summary>The 12-character id at the end of an ARN.</summary>
    public static string IdOf(string arn) => arn.Substring(arn.LastIndexOf('/') + 1);
}

using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>ARNs, ids and the member patterns of the Bedrock service model (bedrock-wire-protocol.md §2), anchored.</summary>
internal static class BedrockIds
{
    public const string AccountId = "123456789012";

    public const string JobNamePattern = @"[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*";
    public const string ModelNamePattern = @"([0-9a-zA-Z][_-]?)+";
    public const string RoleArnPattern = @"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+";
    public const string S3UriPattern = @"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?";
    public const string TagPattern = @"[a-zA-Z0-9\s._:/=+@-]*";
    public const string ClientRequestTokenPattern = @"[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?";
    public const string KmsKeyIdPattern = @"(arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:((key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)))|([a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)";
    public const string VpcIdPattern = @"[-0-9a-zA-Z]+";
    public const string JobArnPattern = @"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-import-job/[a-z0-9]{12}";
    public const string ModelArnPattern = @"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:imported-model/[a-z0-9]{12}";

    public static readonly Regex JobName = Anchored(JobNamePattern);
    public static readonly Regex ModelName = Anchored(ModelNamePattern);
    public static readonly Regex RoleArn = Anchored(RoleArnPattern);
    public static readonly Regex S3Uri = Anchored(S3UriPattern);
    public static readonly Regex Tag = Anchored(TagPattern);
    public static readonly Regex ClientRequestToken = Anchored(ClientRequestTokenPattern);
    public static readonly Regex KmsKeyId = Anchored(KmsKeyIdPattern);
    public static readonly Regex VpcId = Anchored(VpcIdPattern);
    public static readonly Regex JobArn = Anchored(JobArnPattern);
    public static readonly Regex ModelArn = Anchored(ModelArnPattern);
    public static readonly Regex JobIdentifier = Anchored("(" + JobArnPattern + ")|(" + JobNamePattern + ")");
    public static readonly Regex ModelIdentifier = Anchored("(" + ModelArnPattern + ")|(" + ModelNamePattern + ")");

    private static Regex Anchored(string pattern) => new("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>12 characters of [a-z0-9], as in model-import-job/… and imported-model/… ARNs.</summary>
    public static string NewId() => RandomNumberGenerator.GetString(IdAlphabet, 12);

    public static string JobArnFor(string region, string id) => $"arn:aws:bedrock:{region}:{AccountId}:model-import-job/{id}";

    public static string ModelArnFor(string region, string id) => $"arn:aws:bedrock:{region}:{AccountId}:imported-model/{id}";

    /// <summary>The 12-character id at the end of an ARN.</summary>
    public static string IdOf(string arn) => arn.Substring(arn.LastIndexOf('/') + 1);
}

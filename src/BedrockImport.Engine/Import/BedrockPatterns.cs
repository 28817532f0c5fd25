using System.Text.RegularExpressions;

namespace BedrockImport.Engine.Import;

/// <summary>The service model's member patterns (bedrock-wire-protocol.md §2), the one copy shared by the cmdlets'
/// client-side checks and the local endpoint. The regexes are anchored: Smithy patterns are unanchored, the service
/// matches whole values.</summary>
public static class BedrockPatterns
{
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
    public static readonly Regex ImportedModelName = Anchored(ModelNamePattern);
    public static readonly Regex RoleArn = Anchored(RoleArnPattern);
    public static readonly Regex S3Uri = Anchored(S3UriPattern);
    public static readonly Regex ClientRequestToken = Anchored(ClientRequestTokenPattern);
    public static readonly Regex TagText = Anchored(TagPattern);
    public static readonly Regex VpcId = Anchored(VpcIdPattern);
    public static readonly Regex KmsKeyId = Anchored(KmsKeyIdPattern);
    public static readonly Regex ModelImportJobArn = Anchored(JobArnPattern);
    public static readonly Regex ImportedModelArn = Anchored(ModelArnPattern);
    /// <summary>GetModelImportJob's jobIdentifier: the job's ARN or its name.</summary>
    public static readonly Regex JobIdentifier = Anchored("(" + JobArnPattern + ")|(" + JobNamePattern + ")");
    /// <summary>GetImportedModel's modelIdentifier: the model's ARN or its name.</summary>
    public static readonly Regex ModelIdentifier = Anchored("(" + ModelArnPattern + ")|(" + ModelNamePattern + ")");

    private static Regex Anchored(string pattern)
        => new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}

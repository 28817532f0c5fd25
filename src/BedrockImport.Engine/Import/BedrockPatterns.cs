using System.Text.RegularExpressions;

namespace BedrockImport.Engine.Import
{
    /// <summary>The service model's patterns for CreateModelImportJob members (bedrock-wire-protocol.md §2.2), anchored:
    /// Smithy patterns are unanchored, the service matches whole values.</summary>
    public static class BedrockPatterns
    {
        public static readonly Regex JobName = Anchored(@"[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*");
        public static readonly Regex ImportedModelName = Anchored(@"([0-9a-zA-Z][_-]?)+");
        public static readonly Regex RoleArn = Anchored(@"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+");
        public static readonly Regex S3Uri = Anchored(@"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?");
        public static readonly Regex ClientRequestToken = Anchored(@"[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?");
        public static readonly Regex TagText = Anchored(@"[a-zA-Z0-9\s._:/=+@-]*");
        public static readonly Regex VpcId = Anchored(@"[-0-9a-zA-Z]+");
        public static readonly Regex KmsKeyId = Anchored(@"(arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:((key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)))|([a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)");
        public static readonly Regex ModelImportJobArn = Anchored(@"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-import-job/[a-z0-9]{12}");
        public static readonly Regex ImportedModelArn = Anchored(@"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:imported-model/[a-z0-9]{12}");

        private static Regex Anchored(string pattern) => new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant);
    }
}

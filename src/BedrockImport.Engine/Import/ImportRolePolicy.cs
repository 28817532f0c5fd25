using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Errors;
using BedrockImport.Engine.Transfer;

namespace BedrockImport.Engine.Import;

/// <summary>What the import role must reach: the model's bucket and prefix, the KMS key its objects are encrypted
/// with (optional), and the account and region whose import jobs may assume it.</summary>
public sealed class ImportRolePolicyRequest
{
    /// <summary>The bucket name, or an s3://bucket/prefix/ URI (then <see cref="Prefix"/> must be empty).</summary>
    public string Bucket { get; set; } = "";

    public string? Prefix { get; set; }

    /// <summary>A key id, key ARN, alias name (alias/…) or alias ARN.</summary>
    public string? KmsKeyId { get; set; }

    public string? AccountId { get; set; }

    public string? Region { get; set; }
}

/// <summary>The two policy documents of a Custom Model Import service role, as JSON text IAM accepts as it is.</summary>
public sealed class ImportRolePolicy
{
    internal ImportRolePolicy(string trustPolicy, string permissionsPolicy, string roleName, string policyName, string bucket,
        string prefix, string accountId, string region, string sourceArn, string? kmsKeyArn)
    {
        TrustPolicy = trustPolicy;
        PermissionsPolicy = permissionsPolicy;
        RoleName = roleName;
        PolicyName = policyName;
        Bucket = bucket;
        Prefix = prefix;
        AccountId = accountId;
        Region = region;
        SourceArn = sourceArn;
        KmsKeyArn = kmsKeyArn;
    }

    /// <summary>For New-IAMRole -AssumeRolePolicyDocument (or the console's custom trust policy).</summary>
    public string TrustPolicy { get; }

    /// <summary>For Write-IAMRolePolicy -PolicyDocument (an inline policy) or New-IAMPolicy.</summary>
    public string PermissionsPolicy { get; }

    /// <summary>A suggested role name (IAM's characters, at most 64).</summary>
    public string RoleName { get; }

    /// <summary>A suggested name for the inline permissions policy.</summary>
    public string PolicyName { get; }

    public string Bucket { get; }

    /// <summary>The key prefix the role may read (empty: the whole bucket).</summary>
    public string Prefix { get; }

    public string AccountId { get; }

    public string Region { get; }

    /// <summary>The aws:SourceArn pattern of the trust policy: any model import job of the account in the region.</summary>
    public string SourceArn { get; }

    /// <summary>The key ARN kms:Decrypt is granted on; for an alias, the key/* pattern the kms:ResourceAliases condition narrows; null without a key.</summary>
    public string? KmsKeyArn { get; }
}

public sealed class ImportRolePolicyException : ArgumentException, IEngineError
{
    public ImportRolePolicyException(string message, string parameterName) : base(message, parameterName)
    {
    }

    public string ErrorId => "InvalidRolePolicyInput";

    public ErrorKind Kind => ErrorKind.Invalid;
}

/// <summary>
/// Builds the trust and permissions policies of the role a model import job assumes, in the shapes of the Bedrock user
/// guide's "Create a service role for model import" (https://docs.aws.amazon.com/bedrock/latest/userguide/model-import-iam-role.html):
/// bedrock.amazonaws.com may assume the role only for this account's model import jobs in this region (the confused
/// deputy conditions aws:SourceAccount and aws:SourceArn), and the role may read only the model's prefix of one bucket.
/// </summary>
public static class ImportRolePolicyBuilder
{
    public const string PolicyVersion = "2012-10-17";
    public const string ServicePrincipal = "bedrock.amazonaws.com";

    private static readonly Regex AccountIdPattern = new Regex("^[0-9]{12}$", RegexOptions.CultureInvariant);
    private static readonly Regex KeyIdPattern = new Regex("^[a-zA-Z0-9-]{36}$", RegexOptions.CultureInvariant);
    private static readonly Regex AliasNamePattern = new Regex("^alias/[a-zA-Z0-9-_/]+$", RegexOptions.CultureInvariant);
    private static readonly Regex KmsArnPattern = new Regex(
        "^arn:(?<partition>aws(-[^:]+)?):kms:(?<region>[a-z0-9-]+):(?<account>[0-9]{12}):(?<resource>(key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+))$",
        RegexOptions.CultureInvariant);
    private static readonly Regex RoleNameUnsafe = new Regex(@"[^\w+=,.@-]+", RegexOptions.CultureInvariant);
    private const int MaxRoleNameLength = 64;

    /// <exception cref="ImportRolePolicyException">A value is missing or malformed; the message names it and the rule.</exception>
    /// <exception cref="S3UriFormatException">The bucket (or s3:// URI) breaks the S3 naming rules.</exception>
    public static ImportRolePolicy Build(ImportRolePolicyRequest request)
    {
        if (request == null) throw new ArgumentNullException(nameof(request));

        var (bucket, prefix) = Location(request);
        var region = (request.Region ?? "").Trim();
        var account = (request.AccountId ?? "").Trim();
        var kmsKeyArn = KmsKeyArn(request.KmsKeyId, account, region);
        if (!AccountIdPattern.IsMatch(account))
        {
            throw new ImportRolePolicyException(account.Length == 0
                ? "An account id is needed: the trust policy's aws:SourceAccount condition names the account whose import jobs may assume the role. Give -AccountId (AWS.Tools: (Get-STSCallerIdentity).Account)."
                : $"The account id '{account}' is not an AWS account id (12 digits).", "AccountId");
        }

        if (!AwsSessionResolver.IsWellFormedRegion(region))
        {
            throw new ImportRolePolicyException($"The region '{region}' is not a region name (such as us-east-1); the trust policy's aws:SourceArn names the region of the import jobs.", "Region");
        }

        var partition = Partition(region);
        var sourceArn = $"arn:{partition}:bedrock:{region}:{account}:model-import-job/*";
        return new ImportRolePolicy(TrustPolicy(account, sourceArn), PermissionsPolicy(partition, bucket, prefix, account, kmsKeyArn, request.KmsKeyId),
            RoleName(bucket, prefix), "BedrockImportModelRead", bucket, prefix, account, region, sourceArn, kmsKeyArn);
    }

    /// <summary>"aws", or the partition of a China or GovCloud region, for the ARNs.</summary>
    public static string Partition(string region)
        => region.StartsWith("cn-", StringComparison.Ordinal) ? "aws-cn"
            : region.StartsWith("us-gov-", StringComparison.Ordinal) ? "aws-us-gov"
            : "aws";

    private static (string Bucket, string Prefix) Location(ImportRolePolicyRequest request)
    {
        var bucketText = (request.Bucket ?? "").Trim();
        var prefix = request.Prefix ?? "";
        S3Uri location;
        if (bucketText.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            if (prefix.Length != 0)
            {
                throw new ImportRolePolicyException($"-Bucket is the S3 URI '{bucketText}', which already names a prefix; give -Prefix only with a bare bucket name.", "Prefix");
            }

            location = S3Uri.Parse(bucketText);
        }
        else
        {
            location = new S3Uri(bucketText, prefix.TrimStart('/'));
        }

        var key = location.Key.TrimStart('/');
        // The import's own pattern keeps '*' and '?' (IAM wildcards) and other characters out of the prefix.
        if (!BedrockPatterns.S3Uri.IsMatch("s3://" + location.Bucket + "/" + key))
        {
            throw new ImportRolePolicyException(
                $"The prefix '{key}' is not one Custom Model Import accepts: '/'-separated segments of A-Z a-z 0-9 - ! _ * ' ( ) . (no empty segments).", "Prefix");
        }

        if (key.IndexOfAny(new[] { '*', '?' }) >= 0)
        {
            throw new ImportRolePolicyException($"The prefix '{key}' contains an IAM wildcard ('*' or '?'); give the literal prefix of the model folder.", "Prefix");
        }

        return (location.Bucket, key);
    }

    private static string? KmsKeyArn(string? keyId, string account, string region)
    {
        var key = keyId?.Trim();
        if (string.IsNullOrEmpty(key))
        {
            return null;
        }

        var arn = KmsArnPattern.Match(key!);
        if (arn.Success)
        {
            return arn.Groups["resource"].Value.StartsWith("alias/", StringComparison.Ordinal)
                ? $"arn:{arn.Groups["partition"].Value}:kms:{arn.Groups["region"].Value}:{arn.Groups["account"].Value}:key/*"
                : key;
        }

        var isKeyId = KeyIdPattern.IsMatch(key!);
        if (!isKeyId && !AliasNamePattern.IsMatch(key!))
        {
            throw new ImportRolePolicyException($"The KMS key '{key}' is not a key id, key ARN, alias (alias/name) or alias ARN.", "KmsKeyId");
        }

        var missing = new List<string>();
        if (!AccountIdPattern.IsMatch(account)) missing.Add("-AccountId");
        if (!AwsSessionResolver.IsWellFormedRegion(region)) missing.Add("-Region");
        if (missing.Count != 0)
        {
            throw new ImportRolePolicyException(
                $"The KMS key '{key}' is a {(isKeyId ? "key id" : "alias")}; its ARN needs the key's account and region, and {string.Join(" and ", missing)} {(missing.Count == 1 ? "is" : "are")} missing. Give them, or give the key ARN.",
                "KmsKeyId");
        }

        var partition = Partition(region);
        return isKeyId ? $"arn:{partition}:kms:{region}:{account}:key/{key}" : $"arn:{partition}:kms:{region}:{account}:key/*";
    }

    private static string RoleName(string bucket, string prefix)
    {
        var name = "BedrockImport-" + bucket + (prefix.Trim('/').Length == 0 ? "" : "-" + prefix.Trim('/'));
        name = RoleNameUnsafe.Replace(name.Replace('/', '-'), "-");
        return name.Length <= MaxRoleNameLength ? name : name.Substring(0, MaxRoleNameLength).TrimEnd('-', '.');
    }

    private static string TrustPolicy(string account, string sourceArn) => Document(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("Sid", "BedrockModelImportJobs");
        writer.WriteString("Effect", "Allow");
        writer.WriteStartObject("Principal");
        writer.WriteString("Service", ServicePrincipal);
        writer.WriteEndObject();
        writer.WriteString("Action", "sts:AssumeRole");
        writer.WriteStartObject("Condition");
        writer.WriteStartObject("StringEquals");
        writer.WriteString("aws:SourceAccount", account);
        writer.WriteEndObject();
        writer.WriteStartObject("ArnLike");
        writer.WriteString("aws:SourceArn", sourceArn);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    });

    private static string PermissionsPolicy(string partition, string bucket, string prefix, string account, string? kmsKeyArn, string? kmsKeyId)
        => Document(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("Sid", "ReadModelFiles");
            writer.WriteString("Effect", "Allow");
            writer.WriteString("Action", "s3:GetObject");
            writer.WriteString("Resource", $"arn:{partition}:s3:::{bucket}/{prefix}*");
            WriteResourceAccount(writer, account, null);
            writer.WriteEndObject();

            writer.WriteStartObject();
            writer.WriteString("Sid", "ListModelFiles");
            writer.WriteString("Effect", "Allow");
            writer.WriteString("Action", "s3:ListBucket");
            writer.WriteString("Resource", $"arn:{partition}:s3:::{bucket}");
            WriteResourceAccount(writer, account, prefix.Length == 0 ? null : prefix);
            writer.WriteEndObject();

            if (kmsKeyArn != null)
            {
                writer.WriteStartObject();
                writer.WriteString("Sid", "DecryptModelFiles");
                writer.WriteString("Effect", "Allow");
                writer.WriteString("Action", "kms:Decrypt");
                writer.WriteString("Resource", kmsKeyArn);
                var alias = AliasOf(kmsKeyId!);
                if (alias != null)
                {
                    // An alias ARN in Resource does not match the key behind it; IAM matches aliases by this condition key.
                    writer.WriteStartObject("Condition");
                    writer.WriteStartObject("ForAnyValue:StringEquals");
                    writer.WriteString("kms:ResourceAliases", alias);
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
            }
        });

    private static void WriteResourceAccount(Utf8JsonWriter writer, string account, string? listPrefix)
    {
        writer.WriteStartObject("Condition");
        writer.WriteStartObject("StringEquals");
        writer.WriteString("aws:ResourceAccount", account);
        writer.WriteEndObject();
        if (listPrefix != null)
        {
            writer.WriteStartObject("StringLike");
            writer.WriteStartArray("s3:prefix");
            writer.WriteStringValue(listPrefix);
            writer.WriteStringValue(listPrefix + "*");
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static string? AliasOf(string keyId)
    {
        var key = keyId.Trim();
        var arn = KmsArnPattern.Match(key);
        var resource = arn.Success ? arn.Groups["resource"].Value : key;
        return resource.StartsWith("alias/", StringComparison.Ordinal) ? resource : null;
    }

    private static string Document(Action<Utf8JsonWriter> writeStatements)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("Version", PolicyVersion);
            writer.WriteStartArray("Statement");
            writeStatements(writer);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}

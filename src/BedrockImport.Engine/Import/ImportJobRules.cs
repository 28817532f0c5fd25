using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BedrockImport.Engine.Bedrock;

namespace BedrockImport.Engine.Import;

/// <summary>Client-side rules for CreateModelImportJob: names, the default job name, the idempotency token, and
/// validation with the service's exact patterns so that a bad value fails before anything is billed.</summary>
public static class ImportJobRules
{
    public const int MaxNameLength = 63;

    /// <summary>`&lt;model&gt;-&lt;yyyyMMdd-HHmmss&gt;` from the given UTC clock (the console's default carried last month's date).</summary>
    public static string DefaultJobName(string modelName, DateTimeOffset utcNow)
    {
        var stamp = utcNow.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var prefix = modelName.Replace('_', '-');
        var room = MaxNameLength - stamp.Length - 1;
        if (prefix.Length > room)
        {
            prefix = prefix.Substring(0, room).TrimEnd('-');
        }

        return prefix + "-" + stamp;
    }

    /// <summary>A token derived from everything that defines the job, so a retried or rerun call with the same
    /// values is the same request to the service (which then creates nothing new).</summary>
    public static string DeriveClientRequestToken(CreateModelImportJobRequest request)
    {
        var identity = string.Join("\n", new[]
        {
            request.JobName,
            request.ImportedModelName,
            request.RoleArn,
            request.ModelDataSource.S3DataSource?.S3Uri ?? "",
            request.ImportedModelKmsKeyId ?? "",
        });
        using var sha = SHA256.Create();
        var hash = sha.ComputeHash(Encoding.UTF8.GetBytes(identity));
        return "bi-" + string.Concat(hash.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))).Substring(0, 48);
    }

    /// <summary>Every problem with the request, each naming the parameter and the rule; empty when valid.</summary>
    public static IReadOnlyList<ImportRequestProblem> Validate(CreateModelImportJobRequest request)
    {
        var problems = new List<ImportRequestProblem>();
        void Check(bool ok, string parameter, string message)
        {
            if (!ok)
            {
                problems.Add(new ImportRequestProblem(parameter, message));
            }
        }

        Check(request.ImportedModelName.Length is >= 1 and <= MaxNameLength && BedrockPatterns.ImportedModelName.IsMatch(request.ImportedModelName), "ModelName",
            $"The model name '{request.ImportedModelName}' is not valid: 1 to 63 letters and digits, with single '-' or '_' between them.");
        Check(request.JobName.Length is >= 1 and <= MaxNameLength && BedrockPatterns.JobName.IsMatch(request.JobName), "JobName",
            $"The job name '{request.JobName}' is not valid: 1 to 63 letters, digits, '-', '+' and '.', starting with a letter or digit.");
        Check(request.RoleArn.Length <= 2048 && BedrockPatterns.RoleArn.IsMatch(request.RoleArn), "RoleArn",
            $"The role ARN '{request.RoleArn}' is not an IAM role ARN (arn:aws:iam::123456789012:role/Name).");
        var s3Uri = request.ModelDataSource.S3DataSource?.S3Uri ?? "";
        Check(s3Uri.Length is >= 1 and <= 1024 && BedrockPatterns.S3Uri.IsMatch(s3Uri), "S3Uri",
            $"The S3 URI '{s3Uri}' is not accepted by Custom Model Import: s3://bucket/prefix/ with a lower-case bucket name and key characters A-Z a-z 0-9 - ! _ * ' ( ) .");
        if (request.ClientRequestToken != null)
        {
            Check(request.ClientRequestToken.Length <= 256 && BedrockPatterns.ClientRequestToken.IsMatch(request.ClientRequestToken), "ClientRequestToken",
                $"The client request token '{request.ClientRequestToken}' is not valid: 1 to 256 letters, digits and '-', not starting or ending with '-'.");
        }

        if (request.ImportedModelKmsKeyId != null)
        {
            Check(request.ImportedModelKmsKeyId.Length <= 2048 && BedrockPatterns.KmsKeyId.IsMatch(request.ImportedModelKmsKeyId), "KmsKeyId",
                $"The KMS key '{request.ImportedModelKmsKeyId}' is not a key id, key ARN, alias or alias ARN.");
        }

        CheckTags(request.JobTags, "Tag", problems);
        CheckTags(request.ImportedModelTags, "ModelTag", problems);
        if (request.VpcConfig != null)
        {
            Check(request.VpcConfig.SubnetIds.Count is >= 1 and <= 16, "VpcSubnetId", "A VPC configuration needs 1 to 16 subnet ids.");
            Check(request.VpcConfig.SecurityGroupIds.Count is >= 1 and <= 5, "VpcSecurityGroupId", "A VPC configuration needs 1 to 5 security group ids.");
            foreach (var id in request.VpcConfig.SubnetIds.Concat(request.VpcConfig.SecurityGroupIds))
            {
                Check(id.Length <= 32 && BedrockPatterns.VpcId.IsMatch(id), "VpcSubnetId", $"The VPC id '{id}' is not valid.");
            }
        }

        return problems;
    }

    private static void CheckTags(List<Tag>? tags, string parameter, List<ImportRequestProblem> problems)
    {
        if (tags == null)
        {
            return;
        }

        if (tags.Count > 200)
        {
            problems.Add(new ImportRequestProblem(parameter, $"At most 200 tags are allowed; {tags.Count} were given."));
        }

        foreach (var tag in tags)
        {
            if (tag.Key.Length is < 1 or > 128 || !BedrockPatterns.TagText.IsMatch(tag.Key) || tag.Value.Length > 256 || !BedrockPatterns.TagText.IsMatch(tag.Value))
            {
                problems.Add(new ImportRequestProblem(parameter,
                    $"The tag '{tag.Key}' is not valid: keys 1 to 128 and values up to 256 of letters, digits, spaces and . _ : / = + @ -"));
            }
        }
    }
}

public sealed class ImportRequestProblem
{
    public ImportRequestProblem(string parameter, string message)
    {
        Parameter = parameter;
        Message = message;
    }

    public string Parameter { get; }
    public string Message { get; }

    public override string ToString() => Message;
}

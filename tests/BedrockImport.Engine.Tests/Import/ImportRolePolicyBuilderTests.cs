using System.Text.Json;
using BedrockImport.Engine.Import;
using BedrockImport.Engine.Transfer;

namespace BedrockImport.Engine.Tests.Import;

public class ImportRolePolicyBuilderTests
{
    private const string Account = "111122223333";
    private const string KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab";

    private static ImportRolePolicy Build(string bucket = "my-models", string prefix = "youko/", string kms = null,
        string account = Account, string region = "us-west-2")
        => ImportRolePolicyBuilder.Build(new ImportRolePolicyRequest { Bucket = bucket, Prefix = prefix, KmsKeyId = kms, AccountId = account, Region = region });

    private static JsonElement Statement(string json, string sid)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("Statement").EnumerateArray().Single(s => s.GetProperty("Sid").GetString() == sid).Clone();
    }

    private static string[] Sids(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("Statement").EnumerateArray().Select(s => s.GetProperty("Sid").GetString()).ToArray();
    }

    [Fact]
    public void Trust_policy_lets_only_bedrock_assume_the_role_for_this_accounts_import_jobs_in_the_region()
    {
        var policy = Build();
        using var document = JsonDocument.Parse(policy.TrustPolicy);
        Assert.Equal("2012-10-17", document.RootElement.GetProperty("Version").GetString());
        var statement = Assert.Single(document.RootElement.GetProperty("Statement").EnumerateArray());
        Assert.Equal("Allow", statement.GetProperty("Effect").GetString());
        Assert.Equal("bedrock.amazonaws.com", statement.GetProperty("Principal").GetProperty("Service").GetString());
        Assert.Equal("sts:AssumeRole", statement.GetProperty("Action").GetString());
        var condition = statement.GetProperty("Condition");
        Assert.Equal(Account, condition.GetProperty("StringEquals").GetProperty("aws:SourceAccount").GetString());
        Assert.Equal("arn:aws:bedrock:us-west-2:111122223333:model-import-job/*", condition.GetProperty("ArnLike").GetProperty("aws:SourceArn").GetString());
        Assert.Equal(policy.SourceArn, condition.GetProperty("ArnLike").GetProperty("aws:SourceArn").GetString());
    }

    [Fact]
    public void Permissions_with_a_prefix_read_only_that_prefix_and_list_only_under_it()
    {
        var policy = Build(prefix: "youko/");
        Assert.Equal(new[] { "ReadModelFiles", "ListModelFiles" }, Sids(policy.PermissionsPolicy));

        var read = Statement(policy.PermissionsPolicy, "ReadModelFiles");
        Assert.Equal("s3:GetObject", read.GetProperty("Action").GetString());
        Assert.Equal("arn:aws:s3:::my-models/youko/*", read.GetProperty("Resource").GetString());
        Assert.Equal(Account, read.GetProperty("Condition").GetProperty("StringEquals").GetProperty("aws:ResourceAccount").GetString());

        var list = Statement(policy.PermissionsPolicy, "ListModelFiles");
        Assert.Equal("s3:ListBucket", list.GetProperty("Action").GetString());
        Assert.Equal("arn:aws:s3:::my-models", list.GetProperty("Resource").GetString());
        var prefixes = list.GetProperty("Condition").GetProperty("StringLike").GetProperty("s3:prefix").EnumerateArray().Select(e => e.GetString());
        Assert.Equal(new[] { "youko/", "youko/*" }, prefixes);
    }

    [Fact]
    public void Permissions_without_a_prefix_cover_the_bucket_and_put_no_prefix_condition_on_listing()
    {
        var policy = Build(prefix: null);
        Assert.Equal("", policy.Prefix);
        Assert.Equal("arn:aws:s3:::my-models/*", Statement(policy.PermissionsPolicy, "ReadModelFiles").GetProperty("Resource").GetString());
        var list = Statement(policy.PermissionsPolicy, "ListModelFiles");
        Assert.False(list.GetProperty("Condition").TryGetProperty("StringLike", out _));
    }

    [Fact]
    public void An_s3_uri_in_place_of_the_bucket_gives_bucket_and_prefix()
    {
        var policy = Build(bucket: "s3://my-models/a/youko/", prefix: null);
        Assert.Equal("my-models", policy.Bucket);
        Assert.Equal("a/youko/", policy.Prefix);
        Assert.Equal("arn:aws:s3:::my-models/a/youko/*", Statement(policy.PermissionsPolicy, "ReadModelFiles").GetProperty("Resource").GetString());
    }

    [Fact]
    public void A_leading_slash_on_the_prefix_is_not_part_of_the_key()
    {
        Assert.Equal("youko/", Build(prefix: "/youko/").Prefix);
    }

    [Theory]
    [InlineData(KeyId, "arn:aws:kms:us-west-2:111122223333:key/" + KeyId, null)]
    [InlineData("arn:aws:kms:eu-west-1:444455556666:key/" + KeyId, "arn:aws:kms:eu-west-1:444455556666:key/" + KeyId, null)]
    [InlineData("alias/models", "arn:aws:kms:us-west-2:111122223333:key/*", "alias/models")]
    [InlineData("arn:aws:kms:eu-west-1:444455556666:alias/models", "arn:aws:kms:eu-west-1:444455556666:key/*", "alias/models")]
    public void A_kms_key_id_alias_or_arn_grants_decrypt_on_the_key(string kms, string expectedResource, string expectedAlias)
    {
        var policy = Build(kms: kms);
        Assert.Equal(new[] { "ReadModelFiles", "ListModelFiles", "DecryptModelFiles" }, Sids(policy.PermissionsPolicy));
        var decrypt = Statement(policy.PermissionsPolicy, "DecryptModelFiles");
        Assert.Equal("kms:Decrypt", decrypt.GetProperty("Action").GetString());
        Assert.Equal(expectedResource, decrypt.GetProperty("Resource").GetString());
        Assert.Equal(expectedResource, policy.KmsKeyArn);
        if (expectedAlias == null)
        {
            Assert.False(decrypt.TryGetProperty("Condition", out _));
        }
        else
        {
            Assert.Equal(expectedAlias, decrypt.GetProperty("Condition").GetProperty("ForAnyValue:StringEquals").GetProperty("kms:ResourceAliases").GetString());
        }
    }

    [Fact]
    public void Without_a_key_there_is_no_kms_statement()
    {
        var policy = Build(kms: null);
        Assert.DoesNotContain("kms:", policy.PermissionsPolicy);
        Assert.Null(policy.KmsKeyArn);
    }

    [Fact]
    public void A_key_id_without_an_account_says_the_arn_needs_it()
    {
        var error = Assert.Throws<ImportRolePolicyException>(() => Build(kms: KeyId, account: ""));
        Assert.Equal("KmsKeyId", error.ParamName);
        Assert.Contains("-AccountId", error.Message);
        Assert.Contains("key ARN", error.Message);
        Assert.Equal("InvalidRolePolicyInput", error.ErrorId);
    }

    [Fact]
    public void An_alias_without_account_or_region_names_both()
    {
        var error = Assert.Throws<ImportRolePolicyException>(() => Build(kms: "alias/models", account: "", region: ""));
        Assert.Contains("-AccountId and -Region are missing", error.Message);
    }

    [Theory]
    [InlineData("", "AccountId", "needed")]
    [InlineData("12345", "AccountId", "12 digits")]
    public void The_account_is_required_and_must_be_twelve_digits(string account, string parameter, string message)
    {
        var error = Assert.Throws<ImportRolePolicyException>(() => Build(account: account));
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("not-a-key")]
    [InlineData("arn:aws:kms:us-west-2:111122223333:secret/x")]
    public void A_malformed_key_is_refused(string kms)
    {
        var error = Assert.Throws<ImportRolePolicyException>(() => Build(kms: kms));
        Assert.Equal("KmsKeyId", error.ParamName);
    }

    [Theory]
    [InlineData("My-Models", S3UriProblem.BucketUppercase)]
    [InlineData("ab", S3UriProblem.BucketLength)]
    [InlineData("my_models", S3UriProblem.BucketCharacters)]
    [InlineData("192.168.1.1", S3UriProblem.BucketIpAddress)]
    public void Bucket_names_follow_the_s3_rules(string bucket, S3UriProblem problem)
    {
        Assert.Equal(problem, Assert.Throws<S3UriFormatException>(() => Build(bucket: bucket)).Problem);
    }

    [Theory]
    [InlineData("youko*/")]
    [InlineData("a//b/")]
    [InlineData("with space/")]
    public void Prefixes_with_wildcards_or_characters_the_import_refuses_are_refused(string prefix)
    {
        var error = Assert.Throws<ImportRolePolicyException>(() => Build(prefix: prefix));
        Assert.Equal("Prefix", error.ParamName);
    }

    [Fact]
    public void A_prefix_beside_an_s3_uri_is_refused()
    {
        Assert.Equal("Prefix", Assert.Throws<ImportRolePolicyException>(() => Build(bucket: "s3://my-models/a/", prefix: "b/")).ParamName);
    }

    [Theory]
    [InlineData("cn-north-1", "aws-cn")]
    [InlineData("us-gov-west-1", "aws-us-gov")]
    [InlineData("eu-central-1", "aws")]
    public void Arns_carry_the_partition_of_the_region(string region, string partition)
    {
        var policy = Build(region: region, kms: KeyId);
        Assert.StartsWith($"arn:{partition}:bedrock:{region}:", policy.SourceArn);
        Assert.StartsWith($"arn:{partition}:s3:::", Statement(policy.PermissionsPolicy, "ReadModelFiles").GetProperty("Resource").GetString());
        Assert.StartsWith($"arn:{partition}:kms:{region}:", policy.KmsKeyArn);
    }

    [Fact]
    public void Suggested_role_name_uses_iam_characters_and_fits_64()
    {
        var name = Build(bucket: new string('b', 63), prefix: "deep/folder/with-a-long-name/").RoleName;
        Assert.True(name.Length <= 64);
        Assert.Matches(@"^[\w+=,.@-]+$", name);
        Assert.StartsWith("BedrockImport-", name);
        Assert.Equal("BedrockImport-my-models-youko", Build().RoleName);
    }
}

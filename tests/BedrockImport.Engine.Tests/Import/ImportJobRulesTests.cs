using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Import;

namespace BedrockImport.Engine.Tests.Import;

public class ImportJobRulesTests
{
    private static CreateModelImportJobRequest ValidRequest() => new()
    {
        JobName = "youko-20260131-235959",
        ImportedModelName = "youko",
        RoleArn = "arn:aws:iam::111122223333:role/BedrockImport",
        ModelDataSource = new ModelDataSource { S3DataSource = new S3DataSource { S3Uri = "s3://bucket/youko/" } },
    };

    [Theory]
    [InlineData("2026-01-31T23:59:59Z", "youko-20260131-235959")]
    [InlineData("2026-02-01T00:00:00Z", "youko-20260201-000000")]
    [InlineData("2026-12-31T23:59:59Z", "youko-20261231-235959")]
    [InlineData("2027-01-01T00:00:01Z", "youko-20270101-000001")]
    public void Default_job_name_carries_the_current_utc_date_across_month_and_year_boundaries(string utc, string expected)
    {
        Assert.Equal(expected, ImportJobRules.DefaultJobName("youko", DateTimeOffset.Parse(utc)));
    }

    [Fact]
    public void Default_job_name_uses_utc_even_when_the_clock_has_an_offset()
    {
        // 09:00 on Feb 1 in Tokyo is still Jan 31 in UTC.
        var tokyo = new DateTimeOffset(2026, 2, 1, 8, 30, 0, TimeSpan.FromHours(9));
        Assert.Equal("m-20260131-233000", ImportJobRules.DefaultJobName("m", tokyo));
    }

    [Fact]
    public void Default_job_name_fits_the_service_limit_and_pattern_for_long_and_underscored_model_names()
    {
        var name = ImportJobRules.DefaultJobName(new string('a', 40) + "_" + new string('b', 40), DateTimeOffset.UnixEpoch);
        Assert.True(name.Length <= 63);
        Assert.Matches(BedrockPatterns.JobName, name);
        Assert.EndsWith("-19700101-000000", name);
    }

    [Fact]
    public void Derived_token_is_stable_for_the_same_job_and_differs_for_another()
    {
        var first = ImportJobRules.DeriveClientRequestToken(ValidRequest());
        var again = ImportJobRules.DeriveClientRequestToken(ValidRequest());
        var other = ValidRequest();
        other.ModelDataSource.S3DataSource!.S3Uri = "s3://bucket/other/";
        Assert.Equal(first, again);
        Assert.NotEqual(first, ImportJobRules.DeriveClientRequestToken(other));
        Assert.Matches(BedrockPatterns.ClientRequestToken, first);
    }

    [Fact]
    public void A_valid_request_has_no_problems()
    {
        Assert.Empty(ImportJobRules.Validate(ValidRequest()));
    }

    [Theory]
    [InlineData("JobName", "-starts-with-dash")]
    [InlineData("JobName", "has space")]
    [InlineData("ModelName", "double--dash")]
    [InlineData("ModelName", "")]
    [InlineData("RoleArn", "arn:aws:iam::123:role/x")]
    [InlineData("RoleArn", "arn:aws:s3:::bucket")]
    [InlineData("S3Uri", "s3://Bucket/prefix/")]
    [InlineData("S3Uri", "https://bucket.s3.amazonaws.com/prefix/")]
    [InlineData("S3Uri", "s3://bucket/pre fix/")]
    [InlineData("KmsKeyId", "not a key")]
    [InlineData("ClientRequestToken", "-bad-")]
    public void Each_bad_value_is_reported_against_its_parameter(string parameter, string value)
    {
        var request = ValidRequest();
        switch (parameter)
        {
            case "JobName": request.JobName = value; break;
            case "ModelName": request.ImportedModelName = value; break;
            case "RoleArn": request.RoleArn = value; break;
            case "S3Uri": request.ModelDataSource.S3DataSource!.S3Uri = value; break;
            case "KmsKeyId": request.ImportedModelKmsKeyId = value; break;
            case "ClientRequestToken": request.ClientRequestToken = value; break;
        }

        var problem = Assert.Single(ImportJobRules.Validate(request));
        Assert.Equal(parameter, problem.Parameter);
        Assert.Contains(value, problem.Message);
    }

    [Fact]
    public void Vpc_configuration_needs_subnets_and_security_groups_within_limits()
    {
        var request = ValidRequest();
        request.VpcConfig = new VpcConfig { SubnetIds = { "subnet-1" } };
        Assert.Contains(ImportJobRules.Validate(request), p => p.Parameter == "VpcSecurityGroupId");
        request.VpcConfig.SecurityGroupIds.Add("sg-1");
        Assert.Empty(ImportJobRules.Validate(request));
        request.VpcConfig.SubnetIds.AddRange(Enumerable.Range(0, 16).Select(i => "subnet-" + i));
        Assert.Contains(ImportJobRules.Validate(request), p => p.Parameter == "VpcSubnetId");
    }

    [Fact]
    public void Tags_are_checked_for_count_and_characters()
    {
        var request = ValidRequest();
        request.JobTags = new List<Tag> { new() { Key = "team", Value = "ml" } };
        Assert.Empty(ImportJobRules.Validate(request));
        request.JobTags.Add(new Tag { Key = "bad<key>", Value = "x" });
        Assert.Contains(ImportJobRules.Validate(request), p => p.Parameter == "Tag" && p.Message.Contains("bad<key>"));
        request.JobTags = Enumerable.Range(0, 201).Select(i => new Tag { Key = "k" + i, Value = "v" }).ToList();
        Assert.Contains(ImportJobRules.Validate(request), p => p.Message.Contains("201"));
    }
}

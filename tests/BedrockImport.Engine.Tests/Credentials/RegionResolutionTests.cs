using BedrockImport.Engine.Credentials;

namespace BedrockImport.Engine.Tests.Credentials;

public class RegionResolutionTests
{
    private const string Keys = "[named]\naws_access_key_id = AKIANAMED0000000001\naws_secret_access_key = secret-named\n";

    /// <summary>Every region source present, then the first <paramref name="removed"/> taken away: the next one must win.</summary>
    [Theory]
    [InlineData(0, "eu-west-1", RegionSources.RegionParameter)]
    [InlineData(1, "eu-west-2", RegionSources.StoredRegion)]
    [InlineData(2, "eu-west-3", "profile 'named' in shared files")]
    [InlineData(3, "eu-north-1", "profile 'envprofile' in shared files")]
    [InlineData(4, "ap-south-1", "profile 'default' in shared files")]
    [InlineData(5, "ap-south-2", "profile 'AWS PS Default' in shared files")]
    [InlineData(6, "sa-east-1", "environment variable AWS_REGION")]
    [InlineData(7, "ca-central-1", "environment variable AWS_DEFAULT_REGION")]
    public void Each_region_source_wins_over_the_later_ones(int removed, string expectedRegion, string expectedSource)
    {
        var config = (removed <= 2 ? "[profile named]\nregion = eu-west-3\n" : "")
            + "[profile envprofile]\nregion = eu-north-1\n"
            + (removed <= 4 ? "[default]\nregion = ap-south-1\n" : "")
            + (removed <= 5 ? "[profile AWS PS Default]\nregion = ap-south-2\n" : "");
        using var home = new TempAwsHome(Keys, config);
        var request = new CredentialRequest { ProfileName = "named" };
        if (removed <= 0) request.Region = "eu-west-1";
        if (removed <= 1) request.StoredRegion = "eu-west-2";
        if (removed == 3)
        {
            // AWS_PROFILE's region is consulted only when no -ProfileName is given.
            request.ProfileName = null;
            home.Environment.Set("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT0001").Set("AWS_SECRET_ACCESS_KEY", "secret-env");
        }

        home.Environment.Set("AWS_PROFILE", "envprofile");
        if (removed <= 6) home.Environment.Set("AWS_REGION", "sa-east-1");
        home.Environment.Set("AWS_DEFAULT_REGION", "ca-central-1");
        var log = new RecordingLog();

        var session = AwsSessionResolver.Resolve(request, home.Environment, log);

        Assert.Equal(expectedRegion, session.Region);
        Assert.StartsWith(expectedSource, session.RegionSource);
        Assert.Contains($"DEBUG: Region obtained from {session.RegionSource} with value '{expectedRegion}'", log.Messages);
    }

    [Fact]
    public void ProfileName_region_is_used_even_though_default_has_one()
    {
        using var home = new TempAwsHome(Keys, "[default]\nregion = us-east-1\n[profile named]\nregion = eu-central-2\n");

        var session = AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "named" }, home.Environment, new RecordingLog());

        Assert.Equal("eu-central-2", session.Region);
    }

    [Fact]
    public void No_region_anywhere_is_NoRegion()
    {
        using var home = new TempAwsHome(Keys);

        var error = Assert.Throws<CredentialResolutionException>(() =>
            AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "named" }, home.Environment, new RecordingLog()));

        Assert.Equal(CredentialProblem.NoRegion, error.Problem);
        Assert.Equal("No region specified or obtained from persisted/shell defaults. Use -Region or Set-DefaultAWSRegion.", error.Message);
    }

    [Fact]
    public void A_stored_region_that_is_not_a_string_is_ignored()
    {
        using var home = new TempAwsHome(Keys);
        home.Environment.Set("AWS_REGION", "us-east-2");

        var session = AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "named", StoredRegion = 42 }, home.Environment, new RecordingLog());

        Assert.Equal("us-east-2", session.Region);
    }

    [Theory]
    [InlineData("us-east-1x")]
    [InlineData("US East")]
    [InlineData("useast1")]
    [InlineData("US-EAST-1")]
    [InlineData("us-east")]
    [InlineData("u-east-1")]
    [InlineData("us-east-1 ; rm")]
    public void Malformed_regions_are_InvalidRegion_from_any_source(string region)
    {
        using var home = new TempAwsHome(Keys);
        var fromParameter = Assert.Throws<CredentialResolutionException>(() =>
            AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "named", Region = region }, home.Environment, new RecordingLog()));
        home.Environment.Set("AWS_REGION", region);
        var fromEnvironment = Assert.Throws<CredentialResolutionException>(() =>
            AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "named" }, home.Environment, new RecordingLog()));

        Assert.Equal(CredentialProblem.InvalidRegion, fromParameter.Problem);
        Assert.Contains($"'{region}'", fromParameter.Message);
        Assert.Contains("-Region", fromParameter.Message);
        Assert.Equal(CredentialProblem.InvalidRegion, fromEnvironment.Problem);
        Assert.Contains("AWS_REGION", fromEnvironment.Message);
    }

    [Theory]
    [InlineData("us-gov-west-1")]
    [InlineData("xx-future-9")]
    [InlineData("ap-southeast-7")]
    [InlineData("eusc-de-east-1")]
    public void Well_formed_unknown_regions_are_allowed(string region)
    {
        using var home = new TempAwsHome(Keys);

        var session = AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "named", Region = region }, home.Environment, new RecordingLog());

        Assert.Equal(region, session.Region);
    }
}

using Amazon.PowerShell.Common;
using Amazon.Runtime;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Credentials;

public class CredentialOrderTests
{
    private const string Region = "us-east-1";

    private static string Section(string name, string accessKey, string secretKey) =>
        $"[{name}]\naws_access_key_id = {accessKey}\naws_secret_access_key = {secretKey}\n\n";

    /// <summary>Every source present, then the first <paramref name="removed"/> ones taken away: the next one must win.</summary>
    [Theory]
    [InlineData(0, "AKIAEXPLICIT0000001", CredentialSources.KeyParameters)]
    [InlineData(1, "AKIANAMED0000000001", "profile 'named' in shared files")]
    [InlineData(2, "AKIACREDENTIAL00001", CredentialSources.CredentialParameter)]
    [InlineData(3, "AKIASTORED000000001", CredentialSources.StoredCredentials)]
    [InlineData(4, "AKIAENVIRONMENT0001", CredentialSources.EnvironmentKeys)]
    [InlineData(5, "AKIAENVPROFILE00001", "profile 'envprofile' (AWS_PROFILE) in shared files")]
    [InlineData(6, "AKIADEFAULT00000001", "profile 'default' in shared files")]
    [InlineData(7, "AKIAPSDEFAULT000001", "profile 'AWS PS Default' in shared files")]
    public void Each_source_wins_over_the_later_ones_and_falls_through_when_absent(int removed, string expectedKey, string expectedSource)
    {
        var credentials = Section("named", "AKIANAMED0000000001", "secret-named")
            + Section("envprofile", "AKIAENVPROFILE00001", "secret-envprofile")
            + (removed <= 6 ? Section("default", "AKIADEFAULT00000001", "secret-default") : "")
            + Section("AWS PS Default", "AKIAPSDEFAULT000001", "secret-psdefault");
        using var home = new TempAwsHome(credentials);
        var request = new CredentialRequest { Region = Region };
        if (removed <= 0) { request.AccessKey = "AKIAEXPLICIT0000001"; request.SecretKey = "secret-explicit"; }
        if (removed <= 1) request.ProfileName = "named";
        if (removed <= 2) request.Credential = new BasicAWSCredentials("AKIACREDENTIAL00001", "secret-credential");
        if (removed <= 3) request.StoredCredentials = new AWSPSCredentials(new BasicAWSCredentials("AKIASTORED000000001", "secret-stored"), "stored");
        if (removed <= 4) home.Environment.Set("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT0001").Set("AWS_SECRET_ACCESS_KEY", "secret-environment");
        if (removed <= 5) home.Environment.Set("AWS_PROFILE", "envprofile");
        var log = new RecordingLog();

        var session = AwsSessionResolver.Resolve(request, home.Environment, log);

        Assert.Equal(expectedKey, session.Credentials.GetCredentials().AccessKey);
        Assert.StartsWith(expectedSource, session.CredentialSource);
        Assert.Contains("DEBUG: Credentials obtained from " + session.CredentialSource, log.Messages);
    }

    [Fact]
    public void Nothing_found_is_NoCredentials_in_the_AWS_Tools_wording_listing_what_was_looked_at()
    {
        using var home = new TempAwsHome("[other]\naws_access_key_id = AKIAOTHER0000000001\naws_secret_access_key = s\n");

        var error = Assert.Throws<CredentialResolutionException>(() =>
            AwsSessionResolver.Resolve(new CredentialRequest { Region = Region }, home.Environment, new RecordingLog()));

        Assert.Equal(CredentialProblem.NoCredentials, error.Problem);
        Assert.StartsWith("No credentials specified or obtained from persisted/shell defaults.", error.Message);
        Assert.Contains("AWS_PROFILE", error.Message);
        Assert.Contains("'AWS PS Default'", error.Message);
        Assert.Contains(home.CredentialsPath, error.Message);
        Assert.Contains("AWS_EC2_METADATA_DISABLED", error.Message);
    }

    [Theory]
    [InlineData("AKIAEXAMPLE00000001", null, null)]
    [InlineData(null, "secret-only", null)]
    [InlineData(null, null, "token-only")]
    [InlineData("AKIAEXAMPLE00000001", null, "token")]
    public void One_key_without_the_other_is_IncompleteKeys_even_when_other_sources_exist(string accessKey, string secretKey, string token)
    {
        using var home = new TempAwsHome(Section("default", "AKIADEFAULT00000001", "secret-default"));
        var request = new CredentialRequest { AccessKey = accessKey, SecretKey = secretKey, SessionToken = token, Region = Region };

        var error = Assert.Throws<CredentialResolutionException>(() => AwsSessionResolver.Resolve(request, home.Environment, new RecordingLog()));

        Assert.Equal(CredentialProblem.IncompleteKeys, error.Problem);
        if (secretKey != null) Assert.DoesNotContain(secretKey, error.Message);
        if (token != null) Assert.DoesNotContain(token, error.Message);
    }

    [Fact]
    public void Explicit_session_token_is_used()
    {
        using var home = new TempAwsHome();
        var request = new CredentialRequest { AccessKey = "AKIAEXPLICIT0000001", SecretKey = "secret-explicit", SessionToken = "token-explicit", Region = Region };

        var immutable = AwsSessionResolver.Resolve(request, home.Environment, new RecordingLog()).Credentials.GetCredentials();

        Assert.Equal(("AKIAEXPLICIT0000001", "secret-explicit", "token-explicit", true), (immutable.AccessKey, immutable.SecretKey, immutable.Token, immutable.UseToken));
    }

    [Fact]
    public void Environment_session_token_is_used_and_a_lone_environment_key_falls_through()
    {
        using var home = new TempAwsHome(Section("default", "AKIADEFAULT00000001", "secret-default"));
        home.Environment.Set("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT0001").Set("AWS_SECRET_ACCESS_KEY", "secret-env").Set("AWS_SESSION_TOKEN", "token-env");

        var withToken = AwsSessionResolver.Resolve(new CredentialRequest { Region = Region }, home.Environment, new RecordingLog()).Credentials.GetCredentials();
        Assert.Equal(("AKIAENVIRONMENT0001", "token-env"), (withToken.AccessKey, withToken.Token));

        home.Environment.Remove("AWS_SECRET_ACCESS_KEY");
        var fallen = AwsSessionResolver.Resolve(new CredentialRequest { Region = Region }, home.Environment, new RecordingLog());
        Assert.Equal("AKIADEFAULT00000001", fallen.Credentials.GetCredentials().AccessKey);
    }

    [Fact]
    public void Unknown_ProfileName_is_an_error_even_though_default_exists()
    {
        using var home = new TempAwsHome(Section("default", "AKIADEFAULT00000001", "secret-default"));

        var error = Assert.Throws<CredentialResolutionException>(() =>
            AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "missing", Region = Region }, home.Environment, new RecordingLog()));

        Assert.Equal(CredentialProblem.ProfileNotFound, error.Problem);
        Assert.Contains("'missing'", error.Message);
        Assert.Contains("-ProfileName", error.Message);
    }

    [Fact]
    public void Unknown_AWS_PROFILE_is_an_error_even_though_default_exists()
    {
        using var home = new TempAwsHome(Section("default", "AKIADEFAULT00000001", "secret-default"));
        home.Environment.Set("AWS_PROFILE", "missing");

        var error = Assert.Throws<CredentialResolutionException>(() =>
            AwsSessionResolver.Resolve(new CredentialRequest { Region = Region }, home.Environment, new RecordingLog()));

        Assert.Equal(CredentialProblem.ProfileNotFound, error.Problem);
        Assert.Contains("AWS_PROFILE", error.Message);
    }

    [Fact]
    public void A_profile_without_credentials_is_ProfileUnusable()
    {
        using var home = new TempAwsHome(config: "[profile regiononly]\nregion = eu-west-1\n");

        var error = Assert.Throws<CredentialResolutionException>(() =>
            AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "regiononly" }, home.Environment, new RecordingLog()));

        Assert.Equal(CredentialProblem.ProfileUnusable, error.Problem);
        Assert.Contains("'regiononly'", error.Message);
    }

    [Fact]
    public void ProfileLocation_restricts_the_search_to_that_file()
    {
        using var home = new TempAwsHome(Section("default", "AKIADEFAULT00000001", "secret-default") + Section("homeonly", "AKIAHOMEONLY0000001", "secret-home"));
        var location = home.WriteFile("elsewhere/creds.ini",
            Section("default", "AKIALOCATIONDEFAULT", "secret-location-default") + Section("located", "AKIALOCATED00000001", "secret-located"));

        var located = AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "located", ProfileLocation = location, Region = Region }, home.Environment, new RecordingLog());
        Assert.Equal("AKIALOCATED00000001", located.Credentials.GetCredentials().AccessKey);
        Assert.Equal($"profile 'located' in {location}", located.CredentialSource);

        var notThere = Assert.Throws<CredentialResolutionException>(() =>
            AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "homeonly", ProfileLocation = location, Region = Region }, home.Environment, new RecordingLog()));
        Assert.Equal(CredentialProblem.ProfileNotFound, notThere.Problem);
        Assert.Contains(location, notThere.Message);

        var defaultFromLocation = AwsSessionResolver.Resolve(new CredentialRequest { ProfileLocation = location, Region = Region }, home.Environment, new RecordingLog());
        Assert.Equal("AKIALOCATIONDEFAULT", defaultFromLocation.Credentials.GetCredentials().AccessKey);
    }

    [Fact]
    public void Static_session_token_and_config_file_profiles_work()
    {
        using var home = new TempAwsHome(
            Section("static", "AKIASTATIC000000001", "secret-static")
            + "[withtoken]\naws_access_key_id = AKIATOKEN0000000001\naws_secret_access_key = secret-token\naws_session_token = token-profile\n",
            config: "[profile inconfig]\naws_access_key_id = AKIACONFIG000000001\naws_secret_access_key = secret-config\n");

        AWSCredentials Resolve(string profile) =>
            AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = profile, Region = Region }, home.Environment, new RecordingLog()).Credentials;

        var staticKeys = Resolve("static").GetCredentials();
        Assert.Equal(("AKIASTATIC000000001", "secret-static", false), (staticKeys.AccessKey, staticKeys.SecretKey, staticKeys.UseToken));
        var tokenKeys = Resolve("withtoken").GetCredentials();
        Assert.Equal(("AKIATOKEN0000000001", "token-profile", true), (tokenKeys.AccessKey, tokenKeys.Token, tokenKeys.UseToken));
        Assert.Equal("AKIACONFIG000000001", Resolve("inconfig").GetCredentials().AccessKey);
    }

    [Fact]
    public void AWS_SHARED_CREDENTIALS_FILE_from_the_given_environment_is_honoured()
    {
        using var home = new TempAwsHome(Section("default", "AKIAHOMEDEFAULT0001", "secret-home"));
        var other = home.WriteFile("other/credentials", Section("default", "AKIAOTHERDEFAULT001", "secret-other"));
        home.Environment.Set("AWS_SHARED_CREDENTIALS_FILE", other);

        var session = AwsSessionResolver.Resolve(new CredentialRequest { Region = Region }, home.Environment, new RecordingLog());

        Assert.Equal("AKIAOTHERDEFAULT001", session.Credentials.GetCredentials().AccessKey);
        Assert.Contains(other, session.CredentialSource);
    }

    [Fact]
    public void Credential_process_profile_runs_the_process()
    {
        if (OperatingSystem.IsWindows()) return; // needs /bin/sh
        using var home = new TempAwsHome();
        var script = home.WriteFile("bin/creds.sh",
            "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROCESS00000001\", \"SecretAccessKey\": \"secret-process\", \"SessionToken\": \"token-process\"}'\n");
        File.WriteAllText(home.ConfigPath, $"[profile proc]\ncredential_process = /bin/sh {script}\n");

        var session = AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "proc", Region = Region }, home.Environment, new RecordingLog());
        var keys = session.Credentials.GetCredentials();

        Assert.Equal(("AKIAPROCESS00000001", "secret-process", "token-process"), (keys.AccessKey, keys.SecretKey, keys.Token));
    }

    [Fact]
    public void Endpoint_url_is_validated_before_anything_else()
    {
        using var home = new TempAwsHome();

        var error = Assert.Throws<CredentialResolutionException>(() =>
            AwsSessionResolver.Resolve(new CredentialRequest { EndpointUrl = "ftp://127.0.0.1/" }, home.Environment, new RecordingLog()));

        Assert.Equal(CredentialProblem.InvalidEndpoint, error.Problem);
    }

    [Fact]
    public void Endpoints_come_from_EndpointUrl_then_service_variables_then_the_region()
    {
        using var home = new TempAwsHome();
        home.Environment.Set("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:9001");
        var request = new CredentialRequest { AccessKey = "AKIAEXPLICIT0000001", SecretKey = "s", Region = "eu-central-1" };

        var session = AwsSessionResolver.Resolve(request, home.Environment, new RecordingLog());
        Assert.Equal(new Uri("http://127.0.0.1:9001"), session.ResolveEndpoint(AwsService.BedrockRuntime));
        Assert.Equal(new Uri("https://bedrock.eu-central-1.amazonaws.com/"), session.ResolveEndpoint(AwsService.Bedrock));

        request.EndpointUrl = "http://127.0.0.1:9002/";
        var overridden = AwsSessionResolver.Resolve(request, home.Environment, new RecordingLog());
        Assert.Equal(new Uri("http://127.0.0.1:9002/"), overridden.ResolveEndpoint(AwsService.BedrockRuntime));
    }
}

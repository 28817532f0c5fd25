using System.Security.Cryptography;
using System.Text;
using BedrockImport.Engine.Credentials;

namespace BedrockImport.Engine.Tests.Credentials;

/// <summary>Profiles whose credentials come from a service (STS, SSO, container endpoint). The SDK reads endpoint
/// overrides and the SSO cache location from the process environment, so these run alone and restore it.</summary>
[Collection(ProcessEnvironmentCollection.Name)]
public class RefreshingProfileTests
{
    private const string SourceKeys = "[source]\naws_access_key_id = AKIASOURCE000000001\naws_secret_access_key = secret-source\n";

    [Fact]
    public void Role_profile_assumes_the_role_through_STS_with_the_source_profile_keys()
    {
        const string assumeRoleResponse = @"<AssumeRoleResponse xmlns=""https://sts.amazonaws.com/doc/2011-06-15/"">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAROLE00000000001</AccessKeyId>
      <SecretAccessKey>secret-role</SecretAccessKey>
      <SessionToken>token-role</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROAEXAMPLE:session</AssumedRoleId>
      <Arn>arn:aws:sts::123456789012:assumed-role/test-role/session</Arn>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>11111111-2222-3333-4444-555555555555</RequestId></ResponseMetadata>
</AssumeRoleResponse>";
        using var sts = new LoopbackServer(_ => (200, "text/xml", assumeRoleResponse));
        using var home = new TempAwsHome(SourceKeys,
            "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/test-role\nsource_profile = source\nregion = us-west-2\n");
        using var process = new ProcessEnvironmentScope().Set("AWS_ENDPOINT_URL_STS", sts.BaseUrl).Set("AWS_REGION", "us-west-2")
            .Set("AWS_EC2_METADATA_DISABLED", "true");

        var session = AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "role" }, home.Environment, new RecordingLog());
        Assert.Empty(sts.Requests); // nothing is fetched while resolving
        var keys = session.Credentials.GetCredentials();

        Assert.Equal(("ASIAROLE00000000001", "secret-role", "token-role"), (keys.AccessKey, keys.SecretKey, keys.Token));
        var request = Assert.Single(sts.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Contains("Action=AssumeRole", request.Body);
        Assert.Contains("RoleArn=" + Uri.EscapeDataString("arn:aws:iam::123456789012:role/test-role"), request.Body);
        Assert.Contains("Credential=AKIASOURCE000000001/", request.Headers["Authorization"]);
        Assert.Equal("us-west-2", session.Region);
    }

    [Fact]
    public void Sso_session_profile_gets_role_credentials_from_SSO_with_the_cached_token()
    {
        const string startUrl = "https://corp.awsapps.com/start";
        using var sso = new LoopbackServer(_ => (200, "application/json",
            "{\"roleCredentials\":{\"accessKeyId\":\"ASIASSO000000000001\",\"secretAccessKey\":\"secret-sso\",\"sessionToken\":\"token-sso\",\"expiration\":4102444800000}}"));
        using var home = new TempAwsHome(config:
            "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Reader\nregion = eu-west-1\n\n" +
            $"[sso-session corp]\nsso_region = us-east-1\nsso_start_url = {startUrl}\nsso_registration_scopes = sso:account:access\n");
        var cacheName = Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes("corp"))).ToLowerInvariant() + ".json";
        home.WriteFile(Path.Combine(".aws", "sso", "cache", cacheName),
            $"{{\"accessToken\":\"sso-access-token\",\"expiresAt\":\"2099-01-01T00:00:00Z\",\"region\":\"us-east-1\",\"startUrl\":\"{startUrl}\"}}");
        using var process = new ProcessEnvironmentScope().Set("AWS_ENDPOINT_URL_SSO", sso.BaseUrl).Set("HOME", home.Home)
            .Set("AWS_EC2_METADATA_DISABLED", "true");

        var session = AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "sso" }, home.Environment, new RecordingLog());
        var keys = session.Credentials.GetCredentials();

        Assert.Equal(("ASIASSO000000000001", "secret-sso", "token-sso"), (keys.AccessKey, keys.SecretKey, keys.Token));
        var request = Assert.Single(sso.Requests);
        Assert.StartsWith("/federation/credentials", request.PathAndQuery);
        Assert.Contains("account_id=123456789012", request.PathAndQuery);
        Assert.Contains("role_name=Reader", request.PathAndQuery);
        Assert.Equal("sso-access-token", request.Headers["x-amz-sso_bearer_token"]);
        Assert.Equal("eu-west-1", session.Region);
    }

    [Fact]
    public void Container_credentials_are_used_after_the_profiles()
    {
        using var container = new LoopbackServer(_ => (200, "application/json",
            "{\"AccessKeyId\":\"ASIACONTAINER000001\",\"SecretAccessKey\":\"secret-container\",\"Token\":\"token-container\",\"Expiration\":\"2099-01-01T00:00:00Z\"}"));
        using var home = new TempAwsHome();
        var uri = container.BaseUrl + "/v2/credentials";
        home.Environment.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri);
        using var process = new ProcessEnvironmentScope().Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri).Set("AWS_EC2_METADATA_DISABLED", "true");

        var session = AwsSessionResolver.Resolve(new CredentialRequest { Region = "us-east-1" }, home.Environment, new RecordingLog());
        var keys = session.Credentials.GetCredentials();

        Assert.Equal(("ASIACONTAINER000001", "token-container"), (keys.AccessKey, keys.Token));
        Assert.Equal("container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)", session.CredentialSource);
        Assert.Equal("/v2/credentials", Assert.Single(container.Requests).PathAndQuery);
    }

    [Fact]
    public void AWS_CONFIG_FILE_outside_the_aws_directory_is_read()
    {
        using var home = new TempAwsHome(SourceKeys);
        var config = home.WriteFile(Path.Combine("elsewhere", "my-config"),
            "[profile fromconfig]\naws_access_key_id = AKIAFROMCONFIG00001\naws_secret_access_key = secret-config\nregion = ap-northeast-1\n");
        home.Environment.Set("AWS_CONFIG_FILE", config);
        using var process = new ProcessEnvironmentScope().Set("AWS_CONFIG_FILE", config);

        var session = AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "fromconfig" }, home.Environment, new RecordingLog());

        Assert.Equal("AKIAFROMCONFIG00001", session.Credentials.GetCredentials().AccessKey);
        Assert.Equal("ap-northeast-1", session.Region);
    }

    [Fact]
    public void Expired_sso_token_fails_without_starting_a_login()
    {
        using var sso = new LoopbackServer(_ => (500, "text/plain", "unexpected"));
        using var home = new TempAwsHome(config:
            "[profile sso]\nsso_session = old\nsso_account_id = 123456789012\nsso_role_name = Reader\n\n" +
            "[sso-session old]\nsso_region = us-east-1\nsso_start_url = https://old.awsapps.com/start\n");
        var cacheName = Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes("old"))).ToLowerInvariant() + ".json";
        home.WriteFile(Path.Combine(".aws", "sso", "cache", cacheName),
            "{\"accessToken\":\"expired-token\",\"expiresAt\":\"2001-01-01T00:00:00Z\",\"region\":\"us-east-1\",\"startUrl\":\"https://old.awsapps.com/start\"}");
        using var process = new ProcessEnvironmentScope().Set("AWS_ENDPOINT_URL_SSO", sso.BaseUrl).Set("AWS_ENDPOINT_URL_SSO_OIDC", sso.BaseUrl)
            .Set("HOME", home.Home).Set("AWS_EC2_METADATA_DISABLED", "true");

        var session = AwsSessionResolver.Resolve(new CredentialRequest { ProfileName = "sso", Region = "us-east-1" }, home.Environment, new RecordingLog());
        var error = Assert.ThrowsAny<Exception>(() => session.Credentials.GetCredentials());

        Assert.Empty(sso.Requests);
        Assert.DoesNotContain("expired-token", error.ToString());
    }

    [Fact]
    public void Instance_metadata_is_the_last_resort_for_credentials_and_region()
    {
        using var imds = new LoopbackServer(request => request.PathAndQuery switch
        {
            "/latest/api/token" => (200, "text/plain", "imds-session-token"),
            "/latest/meta-data/iam/security-credentials/" => (200, "text/plain", "instance-role"),
            "/latest/meta-data/iam/security-credentials/instance-role" => (200, "application/json",
                "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIAINSTANCE0000001\",\"SecretAccessKey\":\"secret-instance\",\"Token\":\"token-instance\",\"Expiration\":\"2099-01-01T00:00:00Z\"}"),
            "/latest/meta-data/iam/info" => (200, "application/json",
                "{\"Code\":\"Success\",\"LastUpdated\":\"2026-01-01T00:00:00Z\",\"InstanceProfileArn\":\"arn:aws:iam::123456789012:instance-profile/instance-role\",\"InstanceProfileId\":\"AIPAEXAMPLE\"}"),
            "/latest/meta-data/placement/region" => (200, "text/plain", "ap-southeast-2"),
            "/latest/dynamic/instance-identity/document" => (200, "application/json", "{\"region\":\"ap-southeast-2\"}"),
            _ => (404, "text/plain", "not found"),
        });
        using var home = new TempAwsHome();
        home.Environment.Remove("AWS_EC2_METADATA_DISABLED");
        var process = new ProcessEnvironmentScope().Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.BaseUrl).Set("AWS_EC2_METADATA_DISABLED", null);
        try
        {
            Amazon.Runtime.Internal.FallbackInternalConfigurationFactory.Reset(); // the SDK caches the IMDS endpoint setting

            var session = AwsSessionResolver.Resolve(new CredentialRequest(), home.Environment, new RecordingLog());
            var keys = session.Credentials.GetCredentials();

            Assert.Equal(("ASIAINSTANCE0000001", "token-instance"), (keys.AccessKey, keys.Token));
            Assert.Equal(CredentialSources.InstanceMetadata, session.CredentialSource);
            Assert.Equal(("ap-southeast-2", RegionSources.InstanceMetadata), (session.Region, session.RegionSource));
        }
        finally
        {
            process.Dispose();
            Amazon.Runtime.Internal.FallbackInternalConfigurationFactory.Reset();
        }
    }
}

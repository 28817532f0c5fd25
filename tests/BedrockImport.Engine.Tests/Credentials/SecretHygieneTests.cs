using Amazon.PowerShell.Common;
using BedrockImport.Engine.Credentials;
using Foreign.Amazon.Runtime;

namespace BedrockImport.Engine.Tests.Credentials;

public class SecretHygieneTests
{
    private const string AccessKey = "AKIAIOSFODNN7EXAMPLE";
    private static readonly string[] Secrets =
    {
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjEXAMPLETOKEN",
        "profile-secret-value", "profile-token-value", "env-secret-value", "env-token-value",
    };

    [Fact]
    public void No_secret_and_no_full_access_key_appears_in_any_log_message_or_error()
    {
        using var home = new TempAwsHome(
            $"[default]\naws_access_key_id = {AccessKey}\naws_secret_access_key = profile-secret-value\naws_session_token = profile-token-value\n" +
            "[broken]\naws_access_key_id = AKIABROKEN000000001\n",
            "[profile ssobroken]\nsso_session = nowhere\nsso_account_id = 1\nsso_role_name = r\n");
        var log = new RecordingLog();
        var messages = new List<string>();

        void Run(CredentialRequest request, IEnvironment environment)
        {
            try
            {
                var session = AwsSessionResolver.Resolve(request, environment, log);
                messages.Add(session.CredentialSource);
                messages.Add(session.RegionSource);
                messages.Add(session.ToString());
            }
            catch (CredentialResolutionException e)
            {
                for (Exception x = e; x != null; x = x.InnerException) messages.Add(x.Message);
            }
        }

        Run(new CredentialRequest { AccessKey = AccessKey, SecretKey = Secrets[0], SessionToken = Secrets[1], Region = "us-east-1" }, home.Environment);
        Run(new CredentialRequest { AccessKey = AccessKey, SessionToken = Secrets[1] }, home.Environment);
        Run(new CredentialRequest { SecretKey = Secrets[0] }, home.Environment);
        Run(new CredentialRequest { Region = "us-east-1" }, home.Environment);
        Run(new CredentialRequest { ProfileName = "broken", Region = "us-east-1" }, home.Environment);
        Run(new CredentialRequest { ProfileName = "ssobroken", Region = "us-east-1" }, home.Environment);
        Run(new CredentialRequest { Region = "US East" }, home.Environment);
        Run(new CredentialRequest { Credential = new ForeignAWSCredentials(_ => new ForeignImmutableCredentials { AccessKey = AccessKey, SecretKey = Secrets[0], Token = Secrets[1] }), Region = "us-east-1" }, home.Environment);
        Run(new CredentialRequest { StoredCredentials = new AWSPSCredentials(Secrets[0], "x"), Region = "us-east-1" }, home.Environment);
        var environment = new FakeEnvironment().Set("HOME", home.Home).Set("AWS_EC2_METADATA_DISABLED", "true")
            .Set("AWS_ACCESS_KEY_ID", AccessKey).Set("AWS_SECRET_ACCESS_KEY", "env-secret-value").Set("AWS_SESSION_TOKEN", "env-token-value").Set("AWS_REGION", "eu-west-1");
        Run(new CredentialRequest(), environment);

        var everything = log.All + "\n" + string.Join("\n", messages);
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(secret, everything);
        }

        Assert.DoesNotContain(AccessKey, everything);
        Assert.Contains("AKIA****MPLE", log.All);
        Assert.Contains("Credentials obtained from", log.All);
    }

    [Theory]
    [InlineData("AKIAIOSFODNN7EXAMPLE", "AKIA****MPLE")]
    [InlineData("ASIA1234", "****")]
    [InlineData(null, "****")]
    public void Access_keys_are_masked(string key, string masked) => Assert.Equal(masked, AwsSessionResolver.MaskAccessKey(key));
}

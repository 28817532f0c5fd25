using Amazon.PowerShell.Common;
using Amazon.Runtime;
using BedrockImport.Engine.Credentials;
using Foreign.Amazon.Runtime;

namespace BedrockImport.Engine.Tests.Credentials
{
    public class CredentialObjectTests
    {
        private static ForeignAWSCredentials Refreshing() => new(call => new ForeignImmutableCredentials
        {
            AccessKey = $"AKIAFOREIGN{call:D8}",
            SecretKey = $"secret-foreign-{call}",
            Token = $"token-foreign-{call}",
        });

        private static AwsSession Resolve(CredentialRequest request, RecordingLog log = null)
        {
            request.Region ??= "us-west-2";
            var environment = new FakeEnvironment().Set("HOME", Path.Combine(Path.GetTempPath(), "bi-no-home-" + Guid.NewGuid().ToString("N")))
                .Set("AWS_EC2_METADATA_DISABLED", "true");
            return AwsSessionResolver.Resolve(request, environment, log ?? new RecordingLog());
        }

        [Fact]
        public void Stored_credentials_are_read_from_the_non_public_property_of_an_AWSPSCredentials_by_name()
        {
            var foreign = Refreshing();
            var session = Resolve(new CredentialRequest { StoredCredentials = new AWSPSCredentials(foreign, "myprofile") });

            var keys = session.Credentials.GetCredentials();

            Assert.Equal(("AKIAFOREIGN00000001", "secret-foreign-1", "token-foreign-1", true), (keys.AccessKey, keys.SecretKey, keys.Token, keys.UseToken));
            Assert.Equal(CredentialSources.StoredCredentials, session.CredentialSource);
        }

        [Fact]
        public async Task A_foreign_credential_object_keeps_refreshing_on_every_request()
        {
            var foreign = Refreshing();
            var session = Resolve(new CredentialRequest { Credential = foreign });

            Assert.Equal(0, foreign.Calls); // resolving must not fetch credentials
            var first = session.Credentials.GetCredentials();
            var second = session.Credentials.GetCredentials();
            var third = await session.Credentials.GetCredentialsAsync();

            Assert.Equal("AKIAFOREIGN00000001", first.AccessKey);
            Assert.Equal(("AKIAFOREIGN00000002", "secret-foreign-2", "token-foreign-2"), (second.AccessKey, second.SecretKey, second.Token));
            Assert.Equal("AKIAFOREIGN00000003", third.AccessKey);
            Assert.Equal(CredentialSources.CredentialParameter, session.CredentialSource);
        }

        [Fact]
        public void A_foreign_credential_without_token_yields_no_token()
        {
            var foreign = new ForeignAWSCredentials(_ => new ForeignImmutableCredentials { AccessKey = "AKIAFOREIGNNOTOKEN1", SecretKey = "secret-nt" });

            var keys = Resolve(new CredentialRequest { Credential = foreign }).Credentials.GetCredentials();

            Assert.False(keys.UseToken);
            Assert.True(string.IsNullOrEmpty(keys.Token));
        }

        [Fact]
        public void Credential_parameter_may_also_be_an_AWSPSCredentials()
        {
            var keys = Resolve(new CredentialRequest { Credential = new AWSPSCredentials(Refreshing(), "p") }).Credentials.GetCredentials();

            Assert.Equal("AKIAFOREIGN00000001", keys.AccessKey);
        }

        [Fact]
        public void Our_own_AWSCredentials_are_used_directly()
        {
            var ours = new BasicAWSCredentials("AKIAOURS00000000001", "secret-ours");

            Assert.Same(ours, Resolve(new CredentialRequest { Credential = ours }).Credentials);
            Assert.Same(ours, Resolve(new CredentialRequest { StoredCredentials = new AWSPSCredentials(ours, "p") }).Credentials);
        }

        public static TheoryData<object, string> UnreadableObjects() => new()
        {
            { new object(), "System.Object" },
            { "AKIASTRING000000001", "System.String" },
            { new AWSPSCredentials(new object(), "p"), "System.Object" },
            { new NoKeys(), typeof(NoKeys).FullName },
        };

        [Theory]
        [MemberData(nameof(UnreadableObjects))]
        public void Unreadable_objects_are_CredentialObjectUnreadable_naming_the_type(object value, string typeName)
        {
            var fromParameter = Assert.Throws<CredentialResolutionException>(() => Resolve(new CredentialRequest { Credential = value }));
            var fromVariable = Assert.Throws<CredentialResolutionException>(() => Resolve(new CredentialRequest { StoredCredentials = value }));

            Assert.Equal(CredentialProblem.CredentialObjectUnreadable, fromParameter.Problem);
            Assert.Contains($"'{typeName}'", fromParameter.Message);
            Assert.Contains("-Credential", fromParameter.Message);
            Assert.Equal(CredentialProblem.CredentialObjectUnreadable, fromVariable.Problem);
            Assert.Contains("$StoredAWSCredentials", fromVariable.Message);
            Assert.DoesNotContain("AKIASTRING000000001", fromParameter.Message);
        }

        [Fact]
        public void A_foreign_object_returning_no_keys_fails_at_request_time_without_leaking()
        {
            var foreign = new ForeignAWSCredentials(_ => new ForeignImmutableCredentials { AccessKey = "AKIAHALF00000000001", SecretKey = null, Token = "token-half" });
            var session = Resolve(new CredentialRequest { Credential = foreign });

            var error = Assert.Throws<CredentialResolutionException>(() => session.Credentials.GetCredentials());

            Assert.Equal(CredentialProblem.CredentialObjectUnreadable, error.Problem);
            Assert.Contains(typeof(ForeignAWSCredentials).FullName!, error.Message);
            Assert.DoesNotContain("AKIAHALF", error.Message);
            Assert.DoesNotContain("token-half", error.Message);
        }

        [Fact]
        public void An_AWSPSCredentials_in_a_different_namespace_is_not_mistaken_for_the_AWS_Tools_type()
        {
            var error = Assert.Throws<CredentialResolutionException>(() =>
                Resolve(new CredentialRequest { StoredCredentials = new Lookalike.AWSPSCredentials(Refreshing()) }));

            Assert.Equal(CredentialProblem.CredentialObjectUnreadable, error.Problem);
        }

        public sealed class NoKeys
        {
            public string GetCredentials() => "not credentials";
        }
    }
}

namespace Lookalike
{
    public sealed class AWSPSCredentials
    {
        public AWSPSCredentials(object credentials) => Credentials = credentials;
        internal object Credentials { get; }
    }
}

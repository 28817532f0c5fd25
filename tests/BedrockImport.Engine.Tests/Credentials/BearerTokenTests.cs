using System.Net;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Tests.Wire;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Credentials;

/// <summary>Bedrock API keys as botocore 1.39+ handles them: AWS_BEARER_TOKEN_BEDROCK (or -BearerToken) is sent as
/// "Authorization: Bearer" to the services whose metadata lists smithy.api#httpBearerAuth, whatever AWS keys exist;
/// every other service keeps SigV4.</summary>
public sealed class BearerTokenTests
{
    private const string EnvironmentToken = "ABSKZW52aXJvbm1lbnQtdG9rZW4tZm9yLXRlc3Rz";
    private const string ParameterToken = "ABSKcGFyYW1ldGVyLXRva2VuLWZvci10ZXN0cw==";
    private const string KeysProfile = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = profile-secret-value\n";

    [Fact]
    public void TheCatalogue_GivesBearerAuthToBothBedrockHostsOnly_UnderOneVariable()
    {
        Assert.True(AwsService.Bedrock.AcceptsBearerToken);
        Assert.True(AwsService.BedrockRuntime.AcceptsBearerToken);
        Assert.False(AwsService.S3.AcceptsBearerToken);
        Assert.Equal("AWS_BEARER_TOKEN_BEDROCK", AwsService.Bedrock.BearerTokenVariable);
        Assert.Equal("AWS_BEARER_TOKEN_BEDROCK", AwsService.BedrockRuntime.BearerTokenVariable);
    }

    public static TheoryData<string> KeySources => new() { "default profile", "-ProfileName", "-AccessKey/-SecretKey" };

    // botocore prefers the token whenever it is set, unless signature_version or auth_scheme_preference is set in code:
    // keys, however explicitly given, do not change that.
    [Theory]
    [MemberData(nameof(KeySources))]
    public async Task TheEnvironmentToken_IsSentToBedrockAndRuntime_InsteadOfASignature_WhateverKeysExist(string keySource)
    {
        using var home = new TempAwsHome(KeysProfile + "[named]\naws_access_key_id = AKIANAMEDPROFILE0001\naws_secret_access_key = named-secret\n");
        var request = keySource switch
        {
            "-ProfileName" => new CredentialRequest { ProfileName = "named" },
            "-AccessKey/-SecretKey" => new CredentialRequest { AccessKey = "AKIAEXPLICITKEYS0001", SecretKey = "explicit-secret" },
            _ => new CredentialRequest(),
        };
        var session = Resolve(home.Environment.Set("AWS_BEARER_TOKEN_BEDROCK", EnvironmentToken), request);
        Assert.True(session.HasSigV4Credentials);

        var control = ListHandler();
        using (var client = Kit.Control(control, session: session))
        {
            await client.ListImportedModelsAsync(new ListImportedModelsRequest(), CancellationToken.None);
        }

        var runtime = new FakeHandler((_, _) => FakeHandler.Json(HttpStatusCode.OK, "{\"ok\":true}"));
        using (var client = Kit.Runtime(runtime, session: session))
        {
            await client.InvokeModelAsync(new InvokeModelRequest { ModelId = "m", Body = "{}"u8.ToArray() }, CancellationToken.None);
        }

        foreach (var sent in control.Requests.Concat(runtime.Requests))
        {
            Assert.Equal("Bearer " + EnvironmentToken, sent.Header("Authorization"));
            Assert.Null(sent.Header("X-Amz-Date"));
            Assert.Null(sent.Header("X-Amz-Security-Token"));
        }
    }

    [Fact]
    public async Task ASigV4Service_IsSignedWithTheKeys_AndNeverSeesTheToken()
    {
        using var home = new TempAwsHome(KeysProfile);
        var session = Resolve(home.Environment.Set("AWS_BEARER_TOKEN_BEDROCK", EnvironmentToken), new CredentialRequest());
        var other = new AwsService("Test Service", "testsvc", "testsvc", "Test Service", AwsProtocol.RestJson, "2024-01-01");
        var handler = new FakeHandler((_, _) => FakeHandler.Json(HttpStatusCode.OK, "{}"));

        using (var http = new AwsHttpClient(session, other, Kit.FastOptions(), new RecordingLog(), handler))
        {
            using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(http.Endpoint, "/x")),
                HttpCompletionOption.ResponseContentRead, CancellationToken.None);
        }

        var authorization = Assert.Single(handler.Requests).Header("Authorization");
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/", authorization, StringComparison.Ordinal);
        Assert.DoesNotContain(EnvironmentToken, authorization, StringComparison.Ordinal);
        Assert.Null(session.BearerTokenFor(AwsService.S3));
    }

    [Fact]
    public void TheParameter_WinsOverTheEnvironmentVariable()
    {
        using var home = new TempAwsHome();
        var session = Resolve(home.Environment.Set("AWS_BEARER_TOKEN_BEDROCK", EnvironmentToken),
            new CredentialRequest { BearerToken = ParameterToken });

        Assert.Equal(ParameterToken, session.BearerTokenFor(AwsService.BedrockRuntime));
        Assert.Equal(BearerTokenSources.Parameter, session.BearerTokenSource);
    }

    [Fact]
    public async Task ATokenAlone_Serves_Bedrock_AndS3FailsWithNoCredentialsThatSaysWhy()
    {
        using var home = new TempAwsHome();
        var log = new RecordingLog();
        var session = AwsSessionResolver.Resolve(new CredentialRequest { Region = "us-east-1" },
            home.Environment.Set("AWS_BEARER_TOKEN_BEDROCK", EnvironmentToken), log);

        Assert.False(session.HasSigV4Credentials);
        var control = ListHandler();
        using (var client = Kit.Control(control, session: session))
        {
            await client.ListImportedModelsAsync(new ListImportedModelsRequest(), CancellationToken.None);
        }

        Assert.Equal("Bearer " + EnvironmentToken, Assert.Single(control.Requests).Header("Authorization"));

        var error = Assert.Throws<CredentialResolutionException>(() => S3ClientFactory.Create(session, Kit.FastOptions()));
        Assert.Equal("NoCredentials", error.ErrorId);
        Assert.Contains("Bedrock API key", error.Message, StringComparison.Ordinal);
        Assert.Contains("AWS keys (SigV4)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(EnvironmentToken, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Debug_SaysABearerTokenIsUsedAndWhereFrom_ButNeverTheToken()
    {
        using var home = new TempAwsHome();
        var fromVariable = new RecordingLog();
        var session = AwsSessionResolver.Resolve(new CredentialRequest { Region = "us-east-1" },
            home.Environment.Set("AWS_BEARER_TOKEN_BEDROCK", EnvironmentToken), fromVariable);
        var fromParameter = new RecordingLog();
        var parameterSession = AwsSessionResolver.Resolve(new CredentialRequest { Region = "us-east-1", BearerToken = ParameterToken },
            home.Environment, fromParameter);
        using (new AwsHttpClient(parameterSession, AwsService.BedrockRuntime, Kit.FastOptions(), fromParameter, ListHandler()))
        {
        }

        Assert.Contains("DEBUG: Bearer token (Bedrock API key) obtained from environment variable AWS_BEARER_TOKEN_BEDROCK", fromVariable.All);
        Assert.Contains("DEBUG: Bearer token (Bedrock API key) obtained from -BearerToken parameter", fromParameter.All);
        Assert.Contains("Bedrock Runtime requests are authorized with a bearer token", fromParameter.All);
        var everything = fromVariable.All + fromParameter.All + session + parameterSession + session.CredentialSource + parameterSession.CredentialSource;
        Assert.DoesNotContain(EnvironmentToken, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(ParameterToken, everything, StringComparison.Ordinal);
        Assert.Contains("bearer token from environment variable AWS_BEARER_TOKEN_BEDROCK", session.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ABlankVariable_IsNoToken_AndATokenDoesNotHideAMissingNamedProfile()
    {
        using var home = new TempAwsHome();
        var blank = Assert.Throws<CredentialResolutionException>(() =>
            Resolve(new FakeEnvironment().Set("HOME", home.Home).Set("AWS_EC2_METADATA_DISABLED", "true").Set("AWS_BEARER_TOKEN_BEDROCK", "   "),
                new CredentialRequest()));
        Assert.Equal("NoCredentials", blank.ErrorId);

        var missing = Assert.Throws<CredentialResolutionException>(() =>
            Resolve(home.Environment.Set("AWS_BEARER_TOKEN_BEDROCK", EnvironmentToken), new CredentialRequest { ProfileName = "nope" }));
        Assert.Equal("ProfileNotFound", missing.ErrorId);
    }

    private static AwsSession Resolve(IEnvironment environment, CredentialRequest request)
    {
        request.Region ??= "us-east-1";
        request.EndpointUrl ??= "http://127.0.0.1:1234/";
        return AwsSessionResolver.Resolve(request, environment, new RecordingLog());
    }

    private static FakeHandler ListHandler()
        => new((_, _) => FakeHandler.Json(HttpStatusCode.OK, "{\"modelSummaries\":[]}"));
}

using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Credentials;

/// <summary>Resolved credentials, region and endpoints for one cmdlet invocation.
/// Holds the SDK credentials internally: no AWSSDK type is exposed, so nothing crosses into the cmdlet assembly.
/// A session may hold a bearer token (Bedrock API key) and no AWS keys at all: it then serves the services that accept
/// bearer auth and fails with NoCredentials only when a SigV4 service is called.</summary>
public sealed partial class AwsSession
{
    private readonly Amazon.Runtime.AWSCredentials? _credentials;
    private readonly string? _noCredentialsMessage;
    private readonly string? _bearerToken;

    /// <summary>Region system name, e.g. us-east-1.</summary>
    public string Region { get; }
    /// <summary>Where the credentials came from, e.g. "profile 'dev' in shared files" (never a secret).</summary>
    public string CredentialSource { get; }
    /// <summary>Where the region came from.</summary>
    public string RegionSource { get; }

    /// <summary>Where the bearer token came from ("-BearerToken parameter" or "environment variable AWS_BEARER_TOKEN_BEDROCK"),
    /// null when there is none. Never the token.</summary>
    public string? BearerTokenSource { get; }

    /// <summary>Whether the session has AWS keys (SigV4); false for a bearer-token-only session.</summary>
    public bool HasSigV4Credentials => _credentials != null;

    /// <summary>The SigV4 credentials. Throws <see cref="CredentialResolutionException"/> (NoCredentials) for a
    /// bearer-token-only session, so the error comes when a SigV4 service is actually called.</summary>
    internal Amazon.Runtime.AWSCredentials Credentials
        => _credentials ?? throw new CredentialResolutionException(CredentialProblem.NoCredentials, _noCredentialsMessage!);

    internal string? EndpointUrlOverride { get; }
    internal IEnvironment Environment { get; }

    internal AwsSession(Amazon.Runtime.AWSCredentials credentials, string region, string credentialSource,
        string regionSource, string? endpointUrlOverride, IEnvironment environment)
        : this(credentials, null, region, credentialSource, regionSource, endpointUrlOverride, environment, null, null)
    {
    }

    internal AwsSession(Amazon.Runtime.AWSCredentials? credentials, string? noCredentialsMessage, string region, string credentialSource,
        string regionSource, string? endpointUrlOverride, IEnvironment environment, string? bearerToken, string? bearerTokenSource)
    {
        if (credentials == null && (bearerToken == null || noCredentialsMessage == null))
        {
            throw new ArgumentException("A session without AWS keys needs a bearer token and the NoCredentials message.", nameof(credentials));
        }

        _credentials = credentials;
        _noCredentialsMessage = noCredentialsMessage;
        _bearerToken = bearerToken;
        BearerTokenSource = bearerToken == null ? null : bearerTokenSource;
        Region = region;
        CredentialSource = credentialSource;
        RegionSource = regionSource;
        EndpointUrlOverride = endpointUrlOverride;
        Environment = environment;
    }

    /// <summary>The bearer token to send to this service instead of SigV4, or null (the service does not accept bearer
    /// auth, or the session has no token). As botocore ≥ 1.39: whenever a token is present and the service's metadata
    /// lists smithy.api#httpBearerAuth, bearer wins over any AWS keys.</summary>
    internal string? BearerTokenFor(AwsService service)
        => service != null && service.AcceptsBearerToken ? _bearerToken : null;

    /// <summary>Where everything came from; never a key or the token.</summary>
    public override string ToString()
        => $"AwsSession(region {Region} from {RegionSource}; credentials from {CredentialSource}" +
           (BearerTokenSource == null ? ")" : $"; bearer token from {BearerTokenSource})");

    /// <summary>Throws <see cref="CredentialResolutionException"/> (InvalidEndpoint) unless the value is an absolute http(s) URL.</summary>
    internal static void ValidateEndpointOverride(string endpointUrl) => ParseEndpoint(endpointUrl, "-EndpointUrl");
}

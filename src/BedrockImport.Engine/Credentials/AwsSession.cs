namespace BedrockImport.Engine.Credentials;

/// <summary>Resolved credentials, region and endpoints for one cmdlet invocation.
/// Holds the SDK credentials internally: no AWSSDK type is exposed, so nothing crosses into the cmdlet assembly.</summary>
public sealed partial class AwsSession
{
    /// <summary>Region system name, e.g. us-east-1.</summary>
    public string Region { get; }
    /// <summary>Where the credentials came from, e.g. "profile 'dev' in shared files" (never a secret).</summary>
    public string CredentialSource { get; }
    /// <summary>Where the region came from.</summary>
    public string RegionSource { get; }

    internal Amazon.Runtime.AWSCredentials Credentials { get; }
    internal string? EndpointUrlOverride { get; }
    internal IEnvironment Environment { get; }

    internal AwsSession(Amazon.Runtime.AWSCredentials credentials, string region, string credentialSource,
        string regionSource, string? endpointUrlOverride, IEnvironment environment)
    {
        Credentials = credentials;
        Region = region;
        CredentialSource = credentialSource;
        RegionSource = regionSource;
        EndpointUrlOverride = endpointUrlOverride;
        Environment = environment;
    }

    /// <summary>Throws <see cref="CredentialResolutionException"/> (InvalidEndpoint) unless the value is an absolute http(s) URL.</summary>
    internal static void ValidateEndpointOverride(string endpointUrl) => ParseEndpoint(endpointUrl, "-EndpointUrl");
}

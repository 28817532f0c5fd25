namespace BedrockImport.Engine.Credentials;

/// <summary>Everything a cmdlet knows about where credentials, region and endpoint may come from.
/// Mirrors the AWS.Tools common parameters plus the session variables the cmdlet read.</summary>
public sealed class CredentialRequest
{
    public string? AccessKey { get; set; }
    public string? SecretKey { get; set; }
    public string? SessionToken { get; set; }
    public string? ProfileName { get; set; }
    public string? ProfileLocation { get; set; }
    /// <summary>-Credential: an Amazon.Runtime.AWSCredentials from any loaded AWSSDK.Core (read by duck typing).</summary>
    public object? Credential { get; set; }
    /// <summary>Value of $StoredAWSCredentials (PSObject already unwrapped), an AWS.Tools AWSPSCredentials.</summary>
    public object? StoredCredentials { get; set; }
    public string? Region { get; set; }
    /// <summary>Value of $StoredAWSRegion.</summary>
    public object? StoredRegion { get; set; }
    public string? EndpointUrl { get; set; }
    /// <summary>-BearerToken in plain text (the cmdlet unwraps its SecureString only to hand it here): a Bedrock API key,
    /// sent as "Authorization: Bearer" to the services that accept it. Takes precedence over AWS_BEARER_TOKEN_BEDROCK.</summary>
    public string? BearerToken { get; set; }
}

using System.Management.Automation;
using System.Net;
using System.Security;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;

namespace BedrockImport.Infrastructure;

/// <summary>
/// Base of every cmdlet that calls AWS: the AWS.Tools common parameters (same names and aliases, so a user's
/// splatted hashtable works), credential and region resolution in the AWS.Tools order, and error records.
/// </summary>
public abstract class AwsCmdlet : AsyncCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("RegionToCall")]
    public string? Region { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("AK")]
    public string? AccessKey { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("SK", "SecretAccessKey")]
    public string? SecretKey { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ST")]
    public string? SessionToken { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("StoredCredentials", "AWSProfileName")]
    public string? ProfileName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("AWSProfilesLocation", "ProfilesLocation")]
    public string? ProfileLocation { get; set; }

    /// <summary>An Amazon.Runtime.AWSCredentials, e.g. from Get-AWSCredential (read by duck typing, so any AWSSDK.Core version works).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public object? Credential { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? EndpointUrl { get; set; }

    /// <summary>A Bedrock API key: sent as "Authorization: Bearer" instead of SigV4 to Bedrock and Bedrock Runtime
    /// (S3 and every other service keep SigV4). Takes precedence over AWS_BEARER_TOKEN_BEDROCK.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SecureString? BearerToken { get; set; }

    private EngineLog? _log;

    /// <summary>Engine log routed to Write-Verbose / Write-Debug / Write-Warning on the pipeline thread, secrets scrubbed.</summary>
    protected IEngineLog Log => _log ??= new EngineLog(this);

    /// <summary>Resolves credentials, region and endpoint from the parameters bound for the current record.</summary>
    protected AwsSession ResolveSession()
    {
        var request = CredentialRequest();
        // Parameters bound by property name can change per record; when they did not, the last session serves
        // (a piped batch of prompts would otherwise re-read the profile files for every record).
        var key = (request.AccessKey, request.SecretKey, request.SessionToken, request.ProfileName, request.ProfileLocation,
            request.Credential, request.StoredCredentials, request.Region, request.StoredRegion, request.EndpointUrl, request.BearerToken);
        if (_session == null || !_sessionKey.Equals(key))
        {
            _session = AwsSessionResolver.Resolve(request, ProcessEnvironment.Instance, Log);
            _sessionKey = key;
        }

        return _session;
    }

    /// <summary>The region alone, resolved in the same order as <see cref="ResolveSession"/> but without looking for
    /// credentials: for a cmdlet that writes the region into what it outputs and calls no service.</summary>
    protected string ResolveRegion() => AwsSessionResolver.ResolveRegion(CredentialRequest(), ProcessEnvironment.Instance, Log).Region;

    private CredentialRequest CredentialRequest() => new CredentialRequest
    {
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        SessionToken = SessionToken,
        ProfileName = ProfileName,
        ProfileLocation = ProfileLocation == null ? null : GetUnresolvedProviderPathFromPSPath(ProfileLocation),
        Credential = Unwrap(Credential),
        StoredCredentials = Unwrap(SessionState.PSVariable.GetValue("StoredAWSCredentials")),
        Region = Region,
        StoredRegion = Unwrap(SessionState.PSVariable.GetValue("StoredAWSRegion")),
        EndpointUrl = EndpointUrl,
        BearerToken = PlainBearerToken,
    };

    private AwsSession? _session;
    private (string?, string?, string?, string?, string?, object?, object?, string?, object?, string?, string?) _sessionKey;

    // Plain text only on its way into the engine; never logged (and redacted should anything echo it).
    private string? PlainBearerToken => BearerToken == null || BearerToken.Length == 0 ? null : new NetworkCredential(string.Empty, BearerToken).Password;

    private static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

    protected override bool IsTerminating(Exception exception) => exception is CredentialResolutionException;

    protected override ErrorRecord? ToErrorRecord(Exception exception)
        => ErrorRecords.From(exception, targetObject: null, Redact);

    /// <summary>Removes any secret this cmdlet was given from a message (defence in depth: the engine never logs them).</summary>
    internal string Redact(string text)
    {
        foreach (var secret in KnownSecrets())
        {
            if (!string.IsNullOrEmpty(secret) && secret!.Length >= 4)
            {
                text = text.Replace(secret, "****");
            }
        }

        return text;
    }

    private IEnumerable<string?> KnownSecrets()
    {
        yield return SecretKey;
        yield return SessionToken;
        yield return Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY");
        yield return Environment.GetEnvironmentVariable("AWS_SESSION_TOKEN");
        yield return Environment.GetEnvironmentVariable("HF_TOKEN");
        yield return PlainBearerToken;
        yield return Environment.GetEnvironmentVariable("AWS_BEARER_TOKEN_BEDROCK");
    }

    private sealed class EngineLog : IEngineLog
    {
        private readonly AwsCmdlet _cmdlet;

        public EngineLog(AwsCmdlet cmdlet) => _cmdlet = cmdlet;

        public void Verbose(string message) => _cmdlet.WriteVerbose(_cmdlet.Redact(message));

        public void Debug(string message) => _cmdlet.WriteDebug(_cmdlet.Redact(message));

        public void Warning(string message) => _cmdlet.WriteWarning(_cmdlet.Redact(message));
    }
}

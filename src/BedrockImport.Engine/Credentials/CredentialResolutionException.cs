using BedrockImport.Engine.Errors;

namespace BedrockImport.Engine.Credentials;

public enum CredentialProblem
{
    NoCredentials,
    ProfileNotFound,
    NoRegion,
    InvalidRegion,
    InvalidEndpoint,
    IncompleteKeys,
    CredentialObjectUnreadable,
    /// <summary>The profile exists but is invalid or holds no usable credentials (e.g. only a region, or a missing sso-session).</summary>
    ProfileUnusable,
}

/// <summary>Credentials, region or endpoint could not be resolved. Its error id names the problem ("ProfileNotFound").</summary>
public sealed class CredentialResolutionException : Exception, IEngineError
{
    public CredentialResolutionException(CredentialProblem problem, string message, Exception? inner = null) : base(message, inner)
    {
        Problem = problem;
    }

    public CredentialProblem Problem { get; }

    public string ErrorId => Problem switch
    {
        CredentialProblem.InvalidEndpoint => "InvalidEndpointUrl",
        CredentialProblem.IncompleteKeys => "IncompleteAccessKeys",
        _ => Problem.ToString(),
    };

    public ErrorKind Kind => Problem switch
    {
        CredentialProblem.InvalidRegion or CredentialProblem.InvalidEndpoint or CredentialProblem.IncompleteKeys => ErrorKind.Invalid,
        CredentialProblem.ProfileNotFound => ErrorKind.NotFound,
        _ => ErrorKind.NoCredentials,
    };
}

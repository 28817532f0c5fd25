using System;
using BedrockImport.Engine.Diagnostics;

namespace BedrockImport.Engine.Credentials
{
    /// <summary>Resolves credentials, region and endpoints in the AWS.Tools order (powershell-conventions.md §1).</summary>
    public static class AwsSessionResolver
    {
        /// <exception cref="CredentialResolutionException">No credentials or no region could be found, or a named profile does not exist.</exception>
        public static AwsSession Resolve(CredentialRequest request, IEnvironment environment, IEngineLog log)
            => throw new NotImplementedException();
    }

    public enum CredentialProblem
    {
        NoCredentials,
        ProfileNotFound,
        NoRegion,
        InvalidRegion,
        InvalidEndpoint,
        IncompleteKeys,
        CredentialObjectUnreadable,
    }

    public sealed class CredentialResolutionException : Exception
    {
        public CredentialProblem Problem { get; }
        public CredentialResolutionException(CredentialProblem problem, string message, Exception? inner = null) : base(message, inner)
        {
            Problem = problem;
        }
    }
}

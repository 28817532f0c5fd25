using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Util;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Credentials;

/// <summary>Resolves credentials, region and endpoints in the AWS.Tools order (powershell-conventions.md §1).</summary>
public static class AwsSessionResolver
{
    public const string DefaultProfileName = "default";
    public const string LegacyDefaultProfileName = "AWS PS Default";

    // Two-letter partitions plus the four-letter sovereign ones (eusc-de-east-1).
    private static readonly Regex RegionPattern = new Regex(@"^[a-z]{2,4}(-[a-z]+)+-\d+$", RegexOptions.CultureInvariant);

    /// <exception cref="CredentialResolutionException">No credentials or no region could be found, a named profile
    /// does not exist or cannot be used, keys are incomplete, a credential object is unreadable, or the region or
    /// endpoint is malformed.</exception>
    public static AwsSession Resolve(CredentialRequest request, IEnvironment environment, IEngineLog log)
    {
        if (request == null) throw new ArgumentNullException(nameof(request));
        if (environment == null) throw new ArgumentNullException(nameof(environment));
        if (log == null) throw new ArgumentNullException(nameof(log));

        var endpointUrl = Blank(request.EndpointUrl);
        if (endpointUrl != null)
        {
            AwsSession.ValidateEndpointOverride(endpointUrl);
        }

        var profiles = new Lazy<ProfileStore>(() => ProfileStore.Open(Blank(request.ProfileLocation), environment, log));

        var (bearerToken, bearerSource) = ResolveBearerToken(request, environment);
        AWSCredentials? credentials;
        string credentialSource;
        string? noCredentialsMessage = null;
        try
        {
            (credentials, credentialSource) = ResolveCredentials(request, environment, profiles, log);
            log.Debug("Credentials obtained from " + credentialSource);
            LogMaskedAccessKey(credentials, log);
        }
        catch (CredentialResolutionException e) when (e.Problem == CredentialProblem.NoCredentials && bearerToken != null)
        {
            // A Bedrock API key alone is enough for Bedrock and Bedrock Runtime; a SigV4 service (S3) fails when called.
            credentials = null;
            noCredentialsMessage = "A Bedrock API key (bearer token, from " + bearerSource + ") was found, but it is accepted only by " +
                "Bedrock and Bedrock Runtime; this call needs AWS keys (SigV4). " + e.Message;
            credentialSource = "bearer token only (" + bearerSource + ")";
            log.Debug("No AWS keys found; only services that accept a bearer token (Bedrock, Bedrock Runtime) can be called.");
        }

        if (bearerToken != null)
        {
            log.Debug($"Bearer token (Bedrock API key) obtained from {bearerSource}; Bedrock and Bedrock Runtime requests use it instead of SigV4");
        }

        var (region, regionSource) = ResolveRegion(request, environment, profiles, log);
        log.Debug($"Region obtained from {regionSource} with value '{region}'");

        return new AwsSession(credentials, noCredentialsMessage, region, credentialSource, regionSource, endpointUrl, environment,
            bearerToken, bearerSource);
    }

    /// <summary>The region alone, in the same order as <see cref="Resolve"/>, for a cmdlet that names the region in
    /// what it writes but calls no service (so needs no credentials).</summary>
    /// <exception cref="CredentialResolutionException">NoRegion or InvalidRegion; a named profile that cannot be read.</exception>
    public static (string Region, string Source) ResolveRegion(CredentialRequest request, IEnvironment environment, IEngineLog log)
    {
        if (request == null) throw new ArgumentNullException(nameof(request));
        if (environment == null) throw new ArgumentNullException(nameof(environment));
        if (log == null) throw new ArgumentNullException(nameof(log));

        var profiles = new Lazy<ProfileStore>(() => ProfileStore.Open(Blank(request.ProfileLocation), environment, log));
        var (region, source) = ResolveRegion(request, environment, profiles, log);
        log.Debug($"Region obtained from {source} with value '{region}'");
        return (region, source);
    }

    /// <summary>-BearerToken, then AWS_BEARER_TOKEN_BEDROCK (botocore derives the variable from the signing name, and
    /// both Bedrock hosts sign as "bedrock"). A blank value counts as unset, as for every other variable read here.</summary>
    private static (string?, string?) ResolveBearerToken(CredentialRequest request, IEnvironment environment)
    {
        var parameter = Blank(request.BearerToken);
        if (parameter != null)
        {
            return (parameter.Trim(), BearerTokenSources.Parameter);
        }

        var variable = AwsService.Bedrock.BearerTokenVariable;
        var fromEnvironment = Blank(environment.Get(variable));
        return fromEnvironment != null ? (fromEnvironment.Trim(), BearerTokenSources.EnvironmentVariable(variable)) : (null, null);
    }

    /// <summary>"AKIAIOSFODNN7EXAMPLE" → "AKIA****MPLE"; short values are fully masked.</summary>
    public static string MaskAccessKey(string? accessKey)
    {
        if (string.IsNullOrEmpty(accessKey)) return "****";
        return accessKey!.Length >= 12 ? accessKey.Substring(0, 4) + "****" + accessKey.Substring(accessKey.Length - 4) : "****";
    }

    // ---- credentials ------------------------------------------------------------------------------------------

    private static (AWSCredentials, string) ResolveCredentials(CredentialRequest request, IEnvironment environment,
        Lazy<ProfileStore> profiles, IEngineLog log)
    {
        var accessKey = Blank(request.AccessKey);
        var secretKey = Blank(request.SecretKey);
        var sessionToken = Blank(request.SessionToken);
        if (accessKey != null || secretKey != null || sessionToken != null)
        {
            if (accessKey == null || secretKey == null)
            {
                throw new CredentialResolutionException(CredentialProblem.IncompleteKeys,
                    "-AccessKey and -SecretKey must be given together (-SessionToken is optional and needs both).");
            }

            return (StaticCredentials(accessKey, secretKey, sessionToken), CredentialSources.KeyParameters);
        }

        var profileName = Blank(request.ProfileName);
        if (profileName != null)
        {
            // A missing named profile is an error: falling through could pick up 'default' for another account.
            return FromNamedProfile(profiles.Value, profileName, "-ProfileName");
        }

        if (request.Credential != null)
        {
            return (CredentialObjectReader.Read(request.Credential, "-Credential"), CredentialSources.CredentialParameter);
        }

        if (request.StoredCredentials != null)
        {
            return (CredentialObjectReader.Read(request.StoredCredentials, "$StoredAWSCredentials"), CredentialSources.StoredCredentials);
        }

        var lookedAt = new List<string>
        {
            "-AccessKey/-SecretKey", "-ProfileName", "-Credential", "$StoredAWSCredentials",
        };

        var environmentCredentials = FromEnvironmentKeys(environment, log);
        if (environmentCredentials != null)
        {
            return (environmentCredentials, CredentialSources.EnvironmentKeys);
        }

        lookedAt.Add("environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");

        var environmentProfile = environment.Get("AWS_PROFILE");
        if (environmentProfile != null)
        {
            return FromNamedProfile(profiles.Value, environmentProfile, "AWS_PROFILE");
        }

        lookedAt.Add("AWS_PROFILE");

        foreach (var defaultName in new[] { DefaultProfileName, LegacyDefaultProfileName })
        {
            var found = FromDefaultProfile(profiles.Value, defaultName, log);
            if (found != null)
            {
                return found.Value;
            }
        }

        lookedAt.Add($"profiles '{DefaultProfileName}' and '{LegacyDefaultProfileName}' in {profiles.Value.Description}");

        var container = FromContainer(environment, log, lookedAt);
        if (container != null)
        {
            return container.Value;
        }

        if (MetadataDisabled(environment))
        {
            lookedAt.Add("EC2 instance metadata (skipped: AWS_EC2_METADATA_DISABLED=true)");
        }
        else
        {
            var instance = FromInstanceMetadata(log);
            if (instance != null)
            {
                return (instance, CredentialSources.InstanceMetadata);
            }

            lookedAt.Add("EC2 instance metadata");
        }

        throw new CredentialResolutionException(CredentialProblem.NoCredentials,
            "No credentials specified or obtained from persisted/shell defaults. Looked at: " + string.Join(", ", lookedAt) +
            ". Use -ProfileName, -AccessKey/-SecretKey, -Credential or Set-AWSCredential.");
    }

    private static AWSCredentials StaticCredentials(string accessKey, string secretKey, string? sessionToken) =>
        sessionToken == null
            ? new BasicAWSCredentials(accessKey, secretKey)
            : new SessionAWSCredentials(accessKey, secretKey, sessionToken);

    private static (AWSCredentials, string) FromNamedProfile(ProfileStore store, string profileName, string origin)
    {
        var profile = FindProfile(store, profileName, origin)
            ?? throw new CredentialResolutionException(CredentialProblem.ProfileNotFound,
                $"The profile '{profileName}' given by {origin} was not found in {store.Description}.");

        var source = origin == "AWS_PROFILE"
            ? CredentialSources.EnvironmentProfile(profileName, store.DescribeLocation(profile))
            : CredentialSources.Profile(profileName, store.DescribeLocation(profile));
        return (CreateFromProfile(store, profile, origin), source);
    }

    private static (AWSCredentials, string)? FromDefaultProfile(ProfileStore store, string profileName, IEngineLog log)
    {
        CredentialProfile? profile;
        try
        {
            profile = FindProfile(store, profileName, "default lookup");
        }
        catch (CredentialResolutionException e)
        {
            log.Debug($"Skipping profile '{profileName}': {e.Message}");
            return null;
        }

        if (profile == null || !profile.CanCreateAWSCredentials)
        {
            return null;
        }

        return (CreateFromProfile(store, profile, "default lookup"), CredentialSources.Profile(profileName, store.DescribeLocation(profile)));
    }

    private static CredentialProfile? FindProfile(ProfileStore store, string profileName, string origin)
    {
        try
        {
            return store.TryGetProfile(profileName, out var profile) ? profile : null;
        }
        catch (AmazonClientException e)
        {
            // The SDK's profile messages name settings and sections, never their secret values.
            throw new CredentialResolutionException(CredentialProblem.ProfileUnusable,
                $"The profile '{profileName}' ({origin}) in {store.Description} is invalid: {e.Message}", e);
        }
    }

    private static AWSCredentials CreateFromProfile(ProfileStore store, CredentialProfile profile, string origin)
    {
        AWSCredentials credentials;
        try
        {
            credentials = AWSCredentialsFactory.GetAWSCredentials(profile, store);
        }
        catch (Exception e) when (e is AmazonClientException || e is InvalidOperationException || e is ArgumentException || e is System.IO.InvalidDataException)
        {
            throw new CredentialResolutionException(CredentialProblem.ProfileUnusable,
                $"The profile '{profile.Name}' ({origin}) in {store.Description} does not define usable credentials: {e.Message}", e);
        }

        if (credentials is SSOAWSCredentials sso && sso.Options != null)
        {
            // As AWS.Tools: never start an interactive login from a cmdlet; an expired token needs 'aws sso login'.
            sso.Options.SupportsGettingNewToken = false;
        }

        return credentials;
    }

    private static AWSCredentials? FromEnvironmentKeys(IEnvironment environment, IEngineLog log)
    {
        var accessKey = environment.Get("AWS_ACCESS_KEY_ID");
        var secretKey = environment.Get("AWS_SECRET_ACCESS_KEY") ?? environment.Get("AWS_SECRET_KEY");
        if (accessKey != null && secretKey != null)
        {
            return StaticCredentials(accessKey, secretKey, environment.Get("AWS_SESSION_TOKEN"));
        }

        if (accessKey != null || secretKey != null)
        {
            log.Debug("Ignoring the environment keys: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set.");
        }

        return null;
    }

    private static (AWSCredentials, string)? FromContainer(IEnvironment environment, IEngineLog log, List<string> lookedAt)
    {
        var variable = environment.Get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != null ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
            : environment.Get("AWS_CONTAINER_CREDENTIALS_FULL_URI") != null ? "AWS_CONTAINER_CREDENTIALS_FULL_URI"
            : null;
        if (variable == null)
        {
            lookedAt.Add("container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set)");
            return null;
        }

        try
        {
            return (new GenericContainerCredentials(), CredentialSources.Container(variable));
        }
        catch (Exception e) when (e is AmazonClientException || e is ArgumentException || e is InvalidOperationException || e is UriFormatException)
        {
            log.Debug($"Container credentials from {variable} could not be set up ({e.GetType().Name}).");
            lookedAt.Add($"container credentials ({variable} unusable)");
            return null;
        }
    }

    private static AWSCredentials? FromInstanceMetadata(IEngineLog log)
    {
        try
        {
            // Asks IMDS for the instance's role name; fails quickly enough off EC2 and is the last resort anyway.
            return new InstanceProfileAWSCredentials();
        }
        catch (Exception e)
        {
            log.Debug($"No EC2 instance role found ({e.GetType().Name}).");
            return null;
        }
    }

    private static void LogMaskedAccessKey(AWSCredentials credentials, IEngineLog log)
    {
        // Only for keys held locally: asking refreshing credentials here would call STS/SSO/IMDS early.
        if (credentials is BasicAWSCredentials || credentials is SessionAWSCredentials)
        {
            log.Debug("Access key " + MaskAccessKey(credentials.GetCredentials().AccessKey));
        }
    }

    // ---- region -----------------------------------------------------------------------------------------------

    private static (string, string) ResolveRegion(CredentialRequest request, IEnvironment environment,
        Lazy<ProfileStore> profiles, IEngineLog log)
    {
        var explicitRegion = Blank(request.Region);
        if (explicitRegion != null)
        {
            return Checked(explicitRegion, RegionSources.RegionParameter);
        }

        if (request.StoredRegion is string storedRegion && Blank(storedRegion) != null)
        {
            return Checked(storedRegion, RegionSources.StoredRegion);
        }

        if (request.StoredRegion != null && !(request.StoredRegion is string))
        {
            log.Debug($"Ignoring $StoredAWSRegion of type '{request.StoredRegion.GetType().FullName}': a region name string is expected.");
        }

        // Deliberate improvement over AWS.Tools (https://github.com/aws/aws-tools-for-powershell/issues/25): the
        // region of the -ProfileName profile is used, as every other AWS SDK and the CLI do. AWS_PROFILE's region is
        // used the same way when no -ProfileName was given, as the .NET SDK does.
        var namedProfile = Blank(request.ProfileName) ?? environment.Get("AWS_PROFILE");
        var profileNames = namedProfile != null
            ? new[] { namedProfile, DefaultProfileName, LegacyDefaultProfileName }
            : new[] { DefaultProfileName, LegacyDefaultProfileName };
        foreach (var profileName in profileNames)
        {
            var profileRegion = ProfileRegion(profiles.Value, profileName, log);
            if (profileRegion != null)
            {
                return Checked(profileRegion.Value.Region, RegionSources.Profile(profileName, profileRegion.Value.Location));
            }
        }

        foreach (var variable in new[] { "AWS_REGION", "AWS_DEFAULT_REGION" })
        {
            var value = environment.Get(variable);
            if (value != null)
            {
                return Checked(value, RegionSources.EnvironmentVariable(variable));
            }
        }

        if (!MetadataDisabled(environment))
        {
            var instanceRegion = InstanceMetadataRegion(log);
            if (instanceRegion != null)
            {
                return Checked(instanceRegion, RegionSources.InstanceMetadata);
            }
        }

        throw new CredentialResolutionException(CredentialProblem.NoRegion,
            "No region specified or obtained from persisted/shell defaults. Use -Region or Set-DefaultAWSRegion.");
    }

    private static (string, string) Checked(string region, string source)
    {
        var trimmed = region.Trim();
        if (!IsWellFormedRegion(trimmed))
        {
            throw new CredentialResolutionException(CredentialProblem.InvalidRegion,
                $"The region '{region}' from {source} is not a region name. Expected a system name such as 'us-east-1' or 'eu-central-1'.");
        }

        return (trimmed, source);
    }

    /// <summary>Shape check only (e.g. us-east-1, us-gov-west-1): new regions appear, so unknown names are allowed.</summary>
    public static bool IsWellFormedRegion(string? region) => region != null && RegionPattern.IsMatch(region);

    private static (string Region, string Location)? ProfileRegion(ProfileStore store, string profileName, IEngineLog log)
    {
        try
        {
            if (store.TryGetProfile(profileName, out var profile) && Blank(profile.Region?.SystemName) is string region)
            {
                return (region, store.DescribeLocation(profile));
            }

            return null;
        }
        catch (AmazonClientException e)
        {
            log.Debug($"Could not read the region of profile '{profileName}': {e.Message}");
            return null;
        }
    }

    private static string? InstanceMetadataRegion(IEngineLog log)
    {
        try
        {
            return Blank(EC2InstanceMetadata.Region?.SystemName);
        }
        catch (Exception e)
        {
            log.Debug($"No region from EC2 instance metadata ({e.GetType().Name}).");
            return null;
        }
    }

    private static bool MetadataDisabled(IEnvironment environment) =>
        string.Equals(environment.Get("AWS_EC2_METADATA_DISABLED")?.Trim(), "true", StringComparison.OrdinalIgnoreCase);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>The CredentialSource strings of <see cref="AwsSession"/> (also logged as "Credentials obtained from …").</summary>
public static class CredentialSources
{
    public const string KeyParameters = "-AccessKey/-SecretKey parameters";
    public const string CredentialParameter = "-Credential parameter";
    public const string StoredCredentials = "$StoredAWSCredentials";
    public const string EnvironmentKeys = "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY";
    public const string InstanceMetadata = "EC2 instance metadata";
    public static string Profile(string profileName, string location) => $"profile '{profileName}' in {location}";
    public static string EnvironmentProfile(string profileName, string location) => $"profile '{profileName}' (AWS_PROFILE) in {location}";
    public static string Container(string variable) => $"container credentials ({variable})";
}

/// <summary>The BearerTokenSource strings of <see cref="AwsSession"/> (never the token).</summary>
public static class BearerTokenSources
{
    public const string Parameter = "-BearerToken parameter";
    public static string EnvironmentVariable(string variable) => "environment variable " + variable;
}

/// <summary>The RegionSource strings of <see cref="AwsSession"/> (also logged as "Region obtained from … with value '…'").</summary>
public static class RegionSources
{
    public const string RegionParameter = "-Region parameter";
    public const string StoredRegion = "$StoredAWSRegion";
    public const string InstanceMetadata = "EC2 instance metadata";
    public static string Profile(string profileName, string location) => $"profile '{profileName}' in {location}";
    public static string EnvironmentVariable(string variable) => "environment variable " + variable;
}

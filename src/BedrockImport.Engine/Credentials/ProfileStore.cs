using System.Runtime.InteropServices;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using BedrockImport.Engine.Diagnostics;

namespace BedrockImport.Engine.Credentials;

/// <summary>The profiles AWS.Tools would search: the .NET SDK encrypted store (Windows only) and the shared
/// credentials/config files, or only the -ProfileLocation file when one is given. File locations come from the
/// injected <see cref="IEnvironment"/>, not from the SDK's statics (which are fixed at first use).</summary>
internal sealed class ProfileStore : ICredentialProfileSource
{
    private readonly SharedCredentialsFile _sharedFile;
    private readonly ICredentialProfileStore? _sdkStore;

    private const string SdkStoreDescription = "the .NET SDK credential store";
    private readonly string _sharedFileDescription;

    /// <summary>Where profiles are searched, e.g. "shared files (/home/u/.aws/credentials, /home/u/.aws/config)".</summary>
    public string Description => _sdkStore == null ? _sharedFileDescription : SdkStoreDescription + " and " + _sharedFileDescription;

    private ProfileStore(SharedCredentialsFile sharedFile, ICredentialProfileStore? sdkStore, string sharedFileDescription)
    {
        _sharedFile = sharedFile;
        _sdkStore = sdkStore;
        _sharedFileDescription = sharedFileDescription;
    }

    public static ProfileStore Open(string? profileLocation, IEnvironment environment, IEngineLog log)
    {
        if (profileLocation != null)
        {
            var locationFile = new SharedCredentialsFile(Path.GetFullPath(profileLocation));
            return new ProfileStore(locationFile, null, profileLocation);
        }

        var home = environment.Get("HOME") ?? environment.Get("USERPROFILE")
            ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var credentialsPath = environment.Get(SharedCredentialsFile.SharedCredentialsFileEnvVar)
            ?? Path.Combine(home, ".aws", "credentials");
        var configPath = environment.Get(SharedCredentialsFile.SharedConfigFileEnvVar)
            ?? Path.Combine(home, ".aws", "config");

        var sharedFile = new SharedCredentialsFile(credentialsPath);
        PointAtConfigFile(sharedFile, configPath, log);

        // The encrypted store cannot be redirected, so an injected environment (another HOME, tests) skips it.
        var sdkStore = environment is ProcessEnvironment ? OpenSdkStore(log) : null;
        return new ProfileStore(sharedFile, sdkStore, "shared files (" + credentialsPath + ", " + configPath + ")");
    }

    public bool TryGetProfile(string profileName, out CredentialProfile profile)
    {
        if (_sdkStore != null && _sdkStore.TryGetProfile(profileName, out profile))
        {
            return true;
        }

        return _sharedFile.TryGetProfile(profileName, out profile);
    }

    /// <summary>Where a found profile lives, for source strings.</summary>
    public string DescribeLocation(CredentialProfile profile) =>
        _sdkStore != null && ReferenceEquals(profile.CredentialProfileStore, _sdkStore) ? SdkStoreDescription : _sharedFileDescription;

    // SharedCredentialsFile(path) takes the config path from a static computed once from the real process
    // environment, and re-reads AWS_CONFIG_FILE from the process on every lookup: when that variable is set it
    // uses ConfigFilePath, otherwise a "config" file beside the credentials file. Setting ConfigFilePath makes the
    // first case follow our IEnvironment; the second only differs when the two files are not siblings.
    private static void PointAtConfigFile(SharedCredentialsFile sharedFile, string configPath, IEngineLog log)
    {
        var property = typeof(SharedCredentialsFile).GetProperty(nameof(SharedCredentialsFile.ConfigFilePath));
        var setter = property?.GetSetMethod(nonPublic: true);
        setter?.Invoke(sharedFile, new object[] { configPath });

        var processConfigVariable = Environment.GetEnvironmentVariable(SharedCredentialsFile.SharedConfigFileEnvVar);
        var configTheSdkReads = string.IsNullOrEmpty(processConfigVariable) || setter == null
            ? Path.Combine(Path.GetDirectoryName(sharedFile.FilePath) ?? string.Empty, "config")
            : configPath;
        if (!PathsEqual(configTheSdkReads, configPath) && File.Exists(configPath))
        {
            log.Debug($"The AWS SDK reads profile settings from '{configTheSdkReads}', not '{configPath}'; set AWS_CONFIG_FILE in the process environment to use the latter.");
        }
    }

    private static bool PathsEqual(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b),
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static ICredentialProfileStore? OpenSdkStore(IEngineLog log)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return null;
        }

        try
        {
            return new NetSDKCredentialsFile();
        }
        catch (Exception e) when (e is AmazonClientException || e is IOException || e is UnauthorizedAccessException || e is InvalidOperationException)
        {
            log.Debug("The .NET SDK credential store could not be opened (" + e.GetType().Name + "); using the shared files only.");
            return null;
        }
    }
}

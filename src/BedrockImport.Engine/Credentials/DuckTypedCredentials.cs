using System.Reflection;
using System.Runtime.ExceptionServices;
using Amazon.Runtime;

namespace BedrockImport.Engine.Credentials;

/// <summary>Turns -Credential / $StoredAWSCredentials values into our own <see cref="AWSCredentials"/>.
/// Those objects may come from another AWSSDK.Core loaded in another AssemblyLoadContext (AWS.Tools), where a cast
/// fails although the type names match, so they are read by name only.</summary>
internal static class CredentialObjectReader
{
    internal const string AwsPsCredentialsTypeName = "Amazon.PowerShell.Common.AWSPSCredentials";

    /// <exception cref="CredentialResolutionException">CredentialObjectUnreadable, naming the type.</exception>
    public static AWSCredentials Read(object value, string origin)
    {
        if (value is AWSCredentials ours)
        {
            return ours;
        }

        var type = value.GetType();
        if (type.FullName == AwsPsCredentialsTypeName)
        {
            var inner = ReadAwsPsCredentialsProperty(value, origin);
            return inner as AWSCredentials ?? DuckTypedCredentials.Create(inner, origin);
        }

        return DuckTypedCredentials.Create(value, origin);
    }

    private static object ReadAwsPsCredentialsProperty(object value, string origin)
    {
        var type = value.GetType();
        var property = type.GetProperty("Credentials", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        object? inner = null;
        if (property != null && property.GetIndexParameters().Length == 0)
        {
            try
            {
                inner = property.GetValue(value);
            }
            catch (TargetInvocationException)
            {
                inner = null;
            }
        }

        return inner ?? throw Unreadable(type, origin, "it has no readable 'Credentials' property");
    }

    internal static CredentialResolutionException Unreadable(Type type, string origin, string why) =>
        new CredentialResolutionException(CredentialProblem.CredentialObjectUnreadable,
            $"The {origin} value of type '{type.FullName}' cannot be used as AWS credentials: {why}. " +
            "Pass an Amazon.Runtime.AWSCredentials (for example from Get-AWSCredential) or use -ProfileName.");
}

/// <summary>Our <see cref="AWSCredentials"/> over a foreign AWSCredentials-shaped object. Every request asks the
/// foreign object again, so assume-role and SSO credentials keep refreshing on their side.</summary>
internal sealed class DuckTypedCredentials : AWSCredentials
{
    private readonly object _foreign;
    private readonly MethodInfo _getCredentials;
    private readonly MethodInfo? _getCredentialsAsync;
    private readonly string _origin;

    public string ForeignTypeName => _foreign.GetType().FullName ?? _foreign.GetType().Name;

    private DuckTypedCredentials(object foreign, MethodInfo getCredentials, MethodInfo? getCredentialsAsync, string origin)
    {
        _foreign = foreign;
        _getCredentials = getCredentials;
        _getCredentialsAsync = getCredentialsAsync;
        _origin = origin;
    }

    public static DuckTypedCredentials Create(object foreign, string origin)
    {
        var type = foreign.GetType();
        var getCredentials = type.GetMethod("GetCredentials", BindingFlags.Instance | BindingFlags.Public, null, Type.EmptyTypes, null);
        if (getCredentials == null || getCredentials.ReturnType == typeof(void))
        {
            throw CredentialObjectReader.Unreadable(type, origin, "it has no public GetCredentials() method");
        }

        if (getCredentials.ReturnType != typeof(object) && !HasKeyProperties(getCredentials.ReturnType))
        {
            throw CredentialObjectReader.Unreadable(type, origin, "GetCredentials() does not return an object with AccessKey and SecretKey");
        }

        var getCredentialsAsync = type.GetMethod("GetCredentialsAsync", BindingFlags.Instance | BindingFlags.Public, null, Type.EmptyTypes, null);
        if (getCredentialsAsync != null && !typeof(Task).IsAssignableFrom(getCredentialsAsync.ReturnType))
        {
            getCredentialsAsync = null;
        }

        return new DuckTypedCredentials(foreign, getCredentials, getCredentialsAsync, origin);
    }

    public override ImmutableCredentials GetCredentials() => Copy(Invoke(_getCredentials));

    public override async Task<ImmutableCredentials> GetCredentialsAsync()
    {
        if (_getCredentialsAsync == null)
        {
            return GetCredentials();
        }

        var task = (Task?)Invoke(_getCredentialsAsync)
            ?? throw CredentialObjectReader.Unreadable(_foreign.GetType(), _origin, "GetCredentialsAsync() returned no task");
        await task.ConfigureAwait(false);
        return Copy(task.GetType().GetProperty("Result")?.GetValue(task));
    }

    private object? Invoke(MethodInfo method)
    {
        try
        {
            return method.Invoke(_foreign, null);
        }
        catch (TargetInvocationException e) when (e.InnerException != null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private ImmutableCredentials Copy(object? foreignCredentials)
    {
        if (foreignCredentials == null)
        {
            throw CredentialObjectReader.Unreadable(_foreign.GetType(), _origin, "GetCredentials() returned nothing");
        }

        var accessKey = ReadString(foreignCredentials, "AccessKey");
        var secretKey = ReadString(foreignCredentials, "SecretKey");
        if (string.IsNullOrEmpty(accessKey) || string.IsNullOrEmpty(secretKey))
        {
            throw CredentialObjectReader.Unreadable(_foreign.GetType(), _origin,
                $"GetCredentials() returned a '{foreignCredentials.GetType().FullName}' without AccessKey and SecretKey");
        }

        var token = ReadString(foreignCredentials, "Token");
        var useToken = foreignCredentials.GetType().GetProperty("UseToken")?.GetValue(foreignCredentials) as bool?
            ?? !string.IsNullOrEmpty(token);
        var accountId = ReadString(foreignCredentials, "AccountId");
        return new ImmutableCredentials(accessKey, secretKey, useToken ? token : null, accountId);
    }

    private static bool HasKeyProperties(Type type) =>
        type.GetProperty("AccessKey") != null && type.GetProperty("SecretKey") != null;

    private static string? ReadString(object source, string propertyName) =>
        source.GetType().GetProperty(propertyName, BindingFlags.Instance | BindingFlags.Public)?.GetValue(source) as string;
}

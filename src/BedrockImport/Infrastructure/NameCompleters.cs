using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Language;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;

namespace BedrockImport.Infrastructure;

/// <summary>Tab completion of names the service knows, asked with the credentials, region and endpoint already
/// typed on the command line, and cached briefly so repeated Tab presses cost one call.</summary>
public abstract class ServiceNameCompleter : IArgumentCompleter
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    private static readonly ConcurrentDictionary<string, (DateTime At, IReadOnlyList<string> Names)> Cache =
        new ConcurrentDictionary<string, (DateTime, IReadOnlyList<string>)>();

    protected abstract string Kind { get; }

    /// <summary>Drops every cached list of this kind, for a name that went away or came.</summary>
    protected static void Forget(string kind)
    {
        foreach (var key in Cache.Keys)
        {
            if (key.StartsWith(kind + "|", StringComparison.Ordinal))
            {
                Cache.TryRemove(key, out _);
            }
        }
    }

    protected abstract IEnumerable<string> ListNames(BedrockControlClient client, CancellationToken cancellationToken);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<string> names;
        try
        {
            names = Names(fakeBoundParameters);
        }
        catch (Exception)
        {
            // Completion must never throw at the user: no credentials or no network simply means no suggestions.
            return Array.Empty<CompletionResult>();
        }

        var typed = wordToComplete.Trim('\'', '"');
        return names
            .Where(n => n.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .OrderBy(n => n, StringComparer.OrdinalIgnoreCase)
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }

    private IReadOnlyList<string> Names(IDictionary bound)
    {
        string? Get(string name) => bound.Contains(name) ? bound[name]?.ToString() : null;
        var request = new CredentialRequest
        {
            Region = Get("Region"),
            AccessKey = Get("AccessKey"),
            SecretKey = Get("SecretKey"),
            SessionToken = Get("SessionToken"),
            ProfileName = Get("ProfileName"),
            ProfileLocation = Get("ProfileLocation"),
            EndpointUrl = Get("EndpointUrl"),
        };
        var session = AwsSessionResolver.Resolve(request, ProcessEnvironment.Instance, NullEngineLog.Instance);
        var key = string.Join("|", Kind, session.ResolveEndpoint(Engine.Wire.AwsService.Bedrock), session.Region, session.CredentialSource);
        if (Cache.TryGetValue(key, out var cached) && DateTime.UtcNow - cached.At < CacheLifetime)
        {
            return cached.Names;
        }

        using var cancel = new CancellationTokenSource(CallTimeout);
        using var client = new BedrockControlClient(session, new Engine.Wire.RetryOptions { MaxAttempts = 1 }, NullEngineLog.Instance);
        var names = ListNames(client, cancel.Token).Where(n => !string.IsNullOrEmpty(n)).Distinct().ToList();
        Cache[key] = (DateTime.UtcNow, names);
        return names;
    }
}

public sealed class ImportedModelNameCompleter : ServiceNameCompleter
{
    private const string Models = "models";

    protected override string Kind => Models;

    /// <summary>Called when this session deleted a model or saw one imported: the next Tab asks the service again.</summary>
    internal static void ForgetNames() => Forget(Models);

    protected override IEnumerable<string> ListNames(BedrockControlClient client, CancellationToken cancellationToken)
        => client.ListImportedModelsAsync(new ListImportedModelsRequest(), cancellationToken).GetAwaiter().GetResult().Select(m => m.ModelName ?? "");
}

public sealed class ImportJobNameCompleter : ServiceNameCompleter
{
    protected override string Kind => "jobs";

    protected override IEnumerable<string> ListNames(BedrockControlClient client, CancellationToken cancellationToken)
        => client.ListModelImportJobsAsync(new ListModelImportJobsRequest(), cancellationToken).GetAwaiter().GetResult().Select(j => j.JobName ?? "");
}

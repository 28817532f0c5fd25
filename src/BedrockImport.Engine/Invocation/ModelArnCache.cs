using System.Collections.Concurrent;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Import;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Invocation;

/// <summary>Imported-model names resolved to ARNs, remembered for the process so that piped and repeated calls by
/// name cost one GetImportedModel. A name never outlives its model: <see cref="Forget"/> drops it when the model is
/// deleted in this session, and <see cref="UseAsync{T}"/> looks a remembered name up once more when its ARN answers
/// not found (the model was deleted elsewhere, and the name may belong to a new import by now).</summary>
public sealed class ModelArnCache
{
    private readonly ConcurrentDictionary<(string Scope, string Name), string> _arns =
        new ConcurrentDictionary<(string Scope, string Name), string>();

    public static ModelArnCache Shared { get; } = new ModelArnCache();

    /// <summary>An imported-model ARN as is; a name from memory, or else from <paramref name="lookUp"/> (then remembered).</summary>
    /// <param name="scope">Where names are looked up (endpoint and region): the same name elsewhere is another model.</param>
    /// <param name="lookUp">Asks the service for the ARN of a name (GetImportedModel).</param>
    public async Task<string> ResolveAsync(string scope, string modelId, Func<string, Task<string>> lookUp)
    {
        if (BedrockPatterns.ImportedModelArn.IsMatch(modelId))
        {
            return modelId;
        }

        return _arns.TryGetValue((scope, modelId), out var remembered)
            ? remembered
            : await LookUpAsync(scope, modelId, lookUp).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="use"/> with the ARN <paramref name="modelId"/> stands for (see <see cref="ResolveAsync"/>).
    /// When an ARN that came from memory answers ResourceNotFoundException, the name is forgotten, looked up again and
    /// <paramref name="use"/> runs once more with the ARN the name has now; any other answer, or a second not found, is the caller's.</summary>
    /// <param name="use">The work to do with the ARN (read the chat template, invoke); it may run twice, so it must
    /// not have shown anything before a not found.</param>
    public async Task<T> UseAsync<T>(string scope, string modelId, Func<string, Task<string>> lookUp, IEngineLog log, Func<string, Task<T>> use)
    {
        if (BedrockPatterns.ImportedModelArn.IsMatch(modelId) || !_arns.TryGetValue((scope, modelId), out var remembered))
        {
            return await use(await ResolveAsync(scope, modelId, lookUp).ConfigureAwait(false)).ConfigureAwait(false);
        }

        try
        {
            return await use(remembered).ConfigureAwait(false);
        }
        catch (ResourceNotFoundException)
        {
            log.Verbose($"Imported model '{modelId}' was {remembered}, which is gone: looking the name up again.");
            Forget(scope, remembered);
        }

        // Requests of the same batch meet the stale ARN together: the first to look the name up again serves the rest.
        var current = _arns.TryGetValue((scope, modelId), out var refreshed)
            ? refreshed
            : await LookUpAsync(scope, modelId, lookUp).ConfigureAwait(false);
        return await use(current).ConfigureAwait(false);
    }

    /// <summary>Forgets a model that is gone, given by name or by ARN: every name in <paramref name="scope"/> that
    /// is it or stands for it. Returns the ARNs those names stood for.</summary>
    public IReadOnlyList<string> Forget(string scope, string modelIdentifier)
    {
        var forgotten = new List<string>();
        foreach (var entry in _arns)
        {
            if (entry.Key.Scope == scope && (entry.Key.Name == modelIdentifier || entry.Value == modelIdentifier)
                && ((ICollection<KeyValuePair<(string, string), string>>)_arns).Remove(entry))
            {
                forgotten.Add(entry.Value);
            }
        }

        return forgotten;
    }

    public void Clear() => _arns.Clear();

    private async Task<string> LookUpAsync(string scope, string name, Func<string, Task<string>> lookUp)
    {
        var arn = await lookUp(name).ConfigureAwait(false);
        _arns[(scope, name)] = arn;
        return arn;
    }
}

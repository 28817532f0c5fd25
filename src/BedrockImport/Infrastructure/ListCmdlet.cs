using System.Management.Automation;
using BedrockImport.Engine.Bedrock;

namespace BedrockImport.Infrastructure;

/// <summary>Base of the Get- cmdlets that list Bedrock resources: the filters both list operations take.</summary>
public abstract class ListCmdlet : AwsCmdlet
{
    protected const string ListSet = "List";
    protected const string IdentifierSet = "Identifier";

    [Parameter(ParameterSetName = ListSet)]
    public string? NameContains { get; set; }

    [Parameter(ParameterSetName = ListSet)]
    public DateTime? CreatedAfter { get; set; }

    [Parameter(ParameterSetName = ListSet)]
    public DateTime? CreatedBefore { get; set; }

    [Parameter(ParameterSetName = ListSet)]
    [EnumName(typeof(SortOrder)), ValidateEnumName]
    public SortOrder? SortOrder { get; set; }

    /// <summary>Sets this cmdlet's filters on a list request (times in UTC; the only sort key is the creation time).
    /// Not generic over the request type on purpose: a constraint naming an engine type would load the engine when
    /// PowerShell reflects over the cmdlets, before ModuleInitializer can serve it from the private load context.</summary>
    protected void ApplyFilters(ListRequest request)
    {
        request.NameContains = NameContains;
        request.CreationTimeAfter = CreatedAfter?.ToUniversalTime();
        request.CreationTimeBefore = CreatedBefore?.ToUniversalTime();
        request.SortBy = SortOrder == null ? null : "CreationTime";
        request.SortOrder = SortOrder.ToService();
    }

    /// <summary>The List parameter set writes <paramref name="listFiltered"/>. Otherwise each identifier writes what it
    /// names: a wildcard pattern filters <paramref name="listAll"/> by name or ARN; anything else is fetched by name or
    /// ARN, and a failure is a non-terminating error for that identifier alone. <paramref name="completeListed"/>, when
    /// given, completes what a listing returned (summaries) before it is written; <paramref name="output"/> turns each
    /// item into what is written.</summary>
    protected async Task WriteListedAsync<T>(Func<Task<IReadOnlyList<T>>> listFiltered, IEnumerable<string> identifiers,
        Func<string, Task<T>> getOne, Func<Task<IReadOnlyList<T>>> listAll, Func<T, string?> name, Func<T, string?> arn,
        Func<IReadOnlyList<T>, Task<IReadOnlyList<T>>>? completeListed = null, Func<T, object?>? output = null)
    {
        completeListed ??= items => Task.FromResult(items);
        output ??= item => item;
        if (ParameterSetName == ListSet)
        {
            foreach (var item in await completeListed(await listFiltered().ConfigureAwait(false)).ConfigureAwait(false))
            {
                WriteObject(output(item));
            }

            return;
        }

        IReadOnlyList<T>? all = null;
        foreach (var identifier in identifiers)
        {
            if (WildcardPattern.ContainsWildcardCharacters(identifier))
            {
                var pattern = new WildcardPattern(identifier, WildcardOptions.IgnoreCase);
                all ??= await listAll().ConfigureAwait(false);
                var matches = all.Where(i => pattern.IsMatch(name(i) ?? "") || pattern.IsMatch(arn(i) ?? "")).ToList();
                foreach (var item in await completeListed(matches).ConfigureAwait(false))
                {
                    WriteObject(output(item));
                }

                continue;
            }

            try
            {
                WriteObject(output(await getOne(identifier).ConfigureAwait(false)));
            }
            catch (Exception exception) when (!(exception is OperationCanceledException))
            {
                WriteError(ErrorRecords.From(exception, identifier, Redact));
            }
        }
    }
}

using System.Globalization;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Quotas;

/// <summary>The Custom Model Import quotas of one session's account and region: found in Service Quotas (service code
/// bedrock) by name, never by a quota code (codes differ between partitions and are not documented as stable), with
/// the usage counted from Bedrock itself (Service Quotas reports no usage for these).</summary>
public sealed class BedrockImportQuotas : IDisposable
{
    public const string ServiceCode = "bedrock";

    /// <summary>The quota names as Service Quotas spells them; matched ignoring case and surrounding spaces.</summary>
    public static readonly IReadOnlyDictionary<ImportQuotaKind, string> QuotaNames = new Dictionary<ImportQuotaKind, string>
    {
        [ImportQuotaKind.ImportedModels] = "Imported models per account",
        [ImportQuotaKind.ConcurrentImportJobs] = "Concurrent model import jobs",
    };

    private readonly ServiceQuotasClient _quotas;
    private readonly BedrockControlClient _bedrock;
    private readonly string _region;
    private readonly bool _ownsClients;

    public BedrockImportQuotas(AwsSession session, RetryOptions? retry = null, IEngineLog? log = null)
        : this(new ServiceQuotasClient(session, retry, log), new BedrockControlClient(session, retry, log), session.Region, ownsClients: true)
    {
    }

    /// <summary>Over clients the caller owns (and disposes).</summary>
    public BedrockImportQuotas(ServiceQuotasClient quotas, BedrockControlClient bedrock, string region)
        : this(quotas, bedrock, region, ownsClients: false)
    {
    }

    private BedrockImportQuotas(ServiceQuotasClient quotas, BedrockControlClient bedrock, string region, bool ownsClients)
    {
        _quotas = quotas ?? throw new ArgumentNullException(nameof(quotas));
        _bedrock = bedrock ?? throw new ArgumentNullException(nameof(bedrock));
        _region = region ?? "";
        _ownsClients = ownsClients;
    }

    /// <summary>Both quotas (ImportedModels, then ConcurrentImportJobs) with their usage. Four calls in parallel:
    /// ListAWSDefaultServiceQuotas, ListServiceQuotas, ListImportedModels, ListModelImportJobs (InProgress).</summary>
    public async Task<IReadOnlyList<ImportQuota>> GetAsync(CancellationToken cancellationToken)
    {
        var definitions = FindDefinitionsAsync(cancellationToken);
        var models = _bedrock.ListImportedModelsAsync(new ListImportedModelsRequest(), cancellationToken);
        var jobs = _bedrock.ListModelImportJobsAsync(new ListModelImportJobsRequest { StatusEquals = "InProgress" }, cancellationToken);
        await Task.WhenAll(definitions, models, jobs).ConfigureAwait(false);

        var quotas = definitions.Result;
        quotas[ImportQuotaKind.ImportedModels].Usage = models.Result.Count;
        // The service filters by status already; the count checks again so a listing that ignores the filter cannot inflate it.
        quotas[ImportQuotaKind.ConcurrentImportJobs].Usage = jobs.Result.Count(job => job.Status == "InProgress");
        return new[] { quotas[ImportQuotaKind.ImportedModels], quotas[ImportQuotaKind.ConcurrentImportJobs] };
    }

    /// <summary>One quota with its usage.</summary>
    public async Task<ImportQuota> GetAsync(ImportQuotaKind kind, CancellationToken cancellationToken)
        => (await GetAsync(cancellationToken).ConfigureAwait(false)).Single(quota => quota.Kind == kind);

    /// <summary>Earlier increase requests of both quotas, newest first.</summary>
    public async Task<IReadOnlyList<ImportQuotaRequest>> GetHistoryAsync(CancellationToken cancellationToken)
    {
        var quotas = await FindDefinitionsAsync(cancellationToken).ConfigureAwait(false);
        var lists = await Task.WhenAll(quotas.Values.Select(async quota =>
            (await _quotas.ListRequestedServiceQuotaChangeHistoryByQuotaAsync(ServiceCode, quota.QuotaCode, null, cancellationToken).ConfigureAwait(false))
            .Select(change => ToRequest(quota, change)))).ConfigureAwait(false);
        return lists.SelectMany(list => list)
            .OrderByDescending(request => request.Created ?? DateTime.MinValue)
            .ThenBy(request => request.Kind)
            .ToList();
    }

    /// <summary>Why an increase to desiredValue would be refused (QuotaNotAdjustable, DesiredValueNotAboveQuota), or null.</summary>
    public static ImportQuotaIncreaseException? CheckIncrease(ImportQuota quota, double desiredValue)
    {
        if (quota == null)
        {
            throw new ArgumentNullException(nameof(quota));
        }

        if (!quota.Adjustable)
        {
            return new ImportQuotaIncreaseException(ImportQuotaIncreaseException.NotAdjustable,
                $"The quota '{quota.Name}' ({quota.QuotaCode}) is not adjustable in {quota.Region}: Service Quotas accepts no increase request for it. " +
                "Ask AWS Support, or free capacity instead (Remove-ImportedModel, or wait for running import jobs).", quota);
        }

        if (quota.Value is double value && desiredValue <= value)
        {
            return new ImportQuotaIncreaseException(ImportQuotaIncreaseException.NotAboveQuota,
                $"The desired value {Number(desiredValue)} is not above the current value {Number(value)} of '{quota.Name}' in {quota.Region}: " +
                "an increase request must ask for more than the value in force.", quota);
        }

        return null;
    }

    /// <summary>Reads the quota, refuses what Service Quotas would refuse (CheckIncrease), then sends
    /// RequestServiceQuotaIncrease.</summary>
    public async Task<ImportQuotaRequest> RequestIncreaseAsync(ImportQuotaKind kind, double desiredValue, CancellationToken cancellationToken)
    {
        var quota = (await FindDefinitionsAsync(cancellationToken).ConfigureAwait(false))[kind];
        var problem = CheckIncrease(quota, desiredValue);
        if (problem != null)
        {
            throw problem;
        }

        var change = await _quotas.RequestServiceQuotaIncreaseAsync(
            new RequestServiceQuotaIncreaseRequest { ServiceCode = ServiceCode, QuotaCode = quota.QuotaCode, DesiredValue = desiredValue },
            cancellationToken).ConfigureAwait(false);
        return ToRequest(quota, change);
    }

    /// <summary>Both quotas' codes, values and adjustability (usage not yet counted).</summary>
    private async Task<Dictionary<ImportQuotaKind, ImportQuota>> FindDefinitionsAsync(CancellationToken cancellationToken)
    {
        var defaults = _quotas.ListAWSDefaultServiceQuotasAsync(ServiceCode, cancellationToken);
        var applied = _quotas.ListServiceQuotasAsync(ServiceCode, cancellationToken);
        await Task.WhenAll(defaults, applied).ConfigureAwait(false);

        var result = new Dictionary<ImportQuotaKind, ImportQuota>();
        foreach (var pair in QuotaNames)
        {
            var byDefault = FindByName(defaults.Result, pair.Value);
            var byApplied = FindByName(applied.Result, pair.Value);
            var found = byApplied ?? byDefault
                        ?? throw new ImportQuotaNotFoundException(
                            $"Service Quotas lists no quota named '{pair.Value}' for service code '{ServiceCode}' in {_region}. " +
                            "Custom Model Import may not be offered in this region, or the quota was renamed.");
            result[pair.Key] = new ImportQuota
            {
                Kind = pair.Key,
                Name = found.QuotaName ?? pair.Value,
                QuotaCode = found.QuotaCode ?? throw new UnexpectedResponseException($"Service Quotas listed '{pair.Value}' without a QuotaCode.", 200, null),
                QuotaArn = found.QuotaArn,
                AppliedValue = byApplied?.ErrorReason == null ? byApplied?.Value : null,
                DefaultValue = byDefault?.Value,
                Adjustable = (byApplied?.Adjustable ?? byDefault?.Adjustable) == true,
                Region = _region,
            };
        }

        return result;
    }

    private static ServiceQuota? FindByName(IEnumerable<ServiceQuota> quotas, string name)
        => quotas.FirstOrDefault(quota => string.Equals(quota.QuotaName?.Trim(), name, StringComparison.OrdinalIgnoreCase));

    private ImportQuotaRequest ToRequest(ImportQuota quota, RequestedServiceQuotaChange change) => new()
    {
        Kind = quota.Kind,
        QuotaName = change.QuotaName ?? quota.Name,
        QuotaCode = change.QuotaCode ?? quota.QuotaCode,
        Id = change.Id ?? "",
        Status = change.Status ?? "",
        CaseId = string.IsNullOrEmpty(change.CaseId) ? null : change.CaseId,
        DesiredValue = change.DesiredValue,
        Created = change.Created,
        LastUpdated = change.LastUpdated,
        Region = _region,
    };

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    public void Dispose()
    {
        if (_ownsClients)
        {
            _quotas.Dispose();
            _bedrock.Dispose();
        }
    }
}

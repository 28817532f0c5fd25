using System.Text.Json;
using BedrockImport.Engine.Json;
using BedrockImport.LocalEndpoint.Bedrock;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.Knobs;

namespace BedrockImport.LocalEndpoint.ServiceQuotas;

/// <summary>One quota of service code bedrock as the endpoint defines it. Codes are this endpoint's own (clients find
/// the quotas by name); Value reads the knobs, so a changed knob holds from the next call on.</summary>
internal sealed record QuotaDefinition(string Code, string Name, Func<ServiceQuotasKnobs, QuotaKnob>? Knob, double FixedValue, bool FixedAdjustable)
{
    public const string ImportedModelsCode = "L-7E1A1D5B";
    public const string ConcurrentImportJobsCode = "L-4B3C9F20";
}

/// <summary>One increase request as stored on disk; its status follows from the clock (StatusAt), so a restarted
/// endpoint continues where it was.</summary>
internal sealed class QuotaRequestRecord
{
    public string Id { get; set; } = "";
    public string QuotaCode { get; set; } = "";
    public string QuotaName { get; set; } = "";
    public double DesiredValue { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset CaseOpenedAt { get; set; }
    public DateTimeOffset DecidedAt { get; set; }
    public string Outcome { get; set; } = "APPROVED";
    public string CaseId { get; set; } = "";

    public string StatusAt(DateTimeOffset now) => now < CaseOpenedAt ? "PENDING" : now < DecidedAt ? "CASE_OPENED" : Outcome;

    public DateTimeOffset LastUpdatedAt(DateTimeOffset now) => now < CaseOpenedAt ? Created : now < DecidedAt ? CaseOpenedAt : DecidedAt;

    public bool IsOpenAt(DateTimeOffset now) => now < DecidedAt;
}

/// <summary>The Service Quotas state shared by the Service Quotas handler and the Bedrock control plane (which refuses
/// a job beyond the quotas): the definitions, their values from the knobs, and the increase requests under
/// DATA/servicequotas/requests/, one JSON file each.</summary>
internal sealed class QuotaLedger
{
    public const string ServiceCode = "bedrock";
    public const string ServiceName = "Amazon Bedrock";

    private readonly EndpointContext _context;
    private readonly string _folder;
    private readonly object _lock = new();
    private readonly List<QuotaRequestRecord> _requests = new();

    public QuotaLedger(EndpointContext context)
    {
        _context = context;
        _folder = Path.Combine(context.ServiceDataDirectory("servicequotas"), "requests");
        Directory.CreateDirectory(_folder);
        foreach (var file in Directory.EnumerateFiles(_folder, "*.json"))
        {
            var record = JsonSerializer.Deserialize<QuotaRequestRecord>(File.ReadAllText(file), EngineJson.Options);
            if (record is not null) _requests.Add(record);
        }
        Definitions = new[]
        {
            // Neighbours with similar names, so that a client matching by name (not by a prefix) is tested.
            new QuotaDefinition("L-2D4F1E0A", "Concurrent model customization jobs", null, 2, true),
            new QuotaDefinition(QuotaDefinition.ConcurrentImportJobsCode, "Concurrent model import jobs", k => k.ConcurrentImportJobs, 0, false),
            new QuotaDefinition("L-9C0B7A61", "Custom models per account", null, 100, true),
            new QuotaDefinition(QuotaDefinition.ImportedModelsCode, "Imported models per account", k => k.ImportedModels, 0, false),
            new QuotaDefinition("L-58E2C4D7", "Model import job size in GB", null, 200, false),
        };
    }

    public IReadOnlyList<QuotaDefinition> Definitions { get; }

    public DateTimeOffset Now => _context.Clock.GetUtcNow();

    private ServiceQuotasKnobs Knobs => _context.Knobs.Current.ServiceQuotas ?? new ServiceQuotasKnobs();

    public QuotaDefinition? Find(string code) => Definitions.FirstOrDefault(d => d.Code == code);

    public double DefaultValue(QuotaDefinition quota) => quota.Knob is { } knob ? knob(Knobs).DefaultValue : quota.FixedValue;

    public bool Adjustable(QuotaDefinition quota) => quota.Knob is { } knob ? knob(Knobs).Adjustable : quota.FixedAdjustable;

    /// <summary>The knob's applied value raised by every approved request; null when neither exists.</summary>
    public double? AppliedValue(QuotaDefinition quota)
    {
        double? applied = quota.Knob is { } knob ? knob(Knobs).AppliedValue : quota.FixedValue;
        var now = Now;
        foreach (var request in Requests(quota.Code).Where(r => r.StatusAt(now) == "APPROVED"))
            applied = Math.Max(applied ?? DefaultValue(quota), request.DesiredValue);
        return applied;
    }

    /// <summary>The value in force: applied, else the default.</summary>
    public double Value(QuotaDefinition quota) => AppliedValue(quota) ?? DefaultValue(quota);

    public double Value(string code) => Value(Find(code)!);

    public List<QuotaRequestRecord> Requests(string code)
    {
        lock (_lock) return _requests.Where(r => r.QuotaCode == code).ToList();
    }

    /// <summary>Records a request unless check (run under the lock with the quota's requests) throws.</summary>
    public QuotaRequestRecord Add(QuotaDefinition quota, double desiredValue, Action<List<QuotaRequestRecord>> check)
    {
        var knobs = Knobs;
        var step = TimeSpan.FromMilliseconds(Math.Max(0, knobs.RequestStepMs));
        var now = Now;
        var id = Guid.NewGuid().ToString("N");
        var record = new QuotaRequestRecord
        {
            Id = id,
            QuotaCode = quota.Code,
            QuotaName = quota.Name,
            DesiredValue = desiredValue,
            Created = now,
            CaseOpenedAt = now + step,
            DecidedAt = now + step + step,
            Outcome = knobs.RequestOutcome is "DENIED" or "NOT_APPROVED" ? knobs.RequestOutcome : "APPROVED",
            CaseId = "case-" + BedrockIds.NewId(),
        };
        lock (_lock)
        {
            check(_requests.Where(r => r.QuotaCode == quota.Code).ToList());
            var path = Path.Combine(_folder, id + ".json");
            File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(record, EngineJson.Options));
            File.Move(path + ".tmp", path, overwrite: true);
            _requests.Add(record);
        }
        return record;
    }
}

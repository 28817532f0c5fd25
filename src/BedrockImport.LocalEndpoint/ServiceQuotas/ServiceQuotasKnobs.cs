using System.Text.Json.Serialization;

namespace BedrockImport.LocalEndpoint.Knobs;

public sealed partial class Knobs
{
    /// <summary>Service Quotas: the two import quotas' values and how increase requests move.</summary>
    [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]
    public ServiceQuotasKnobs ServiceQuotas { get; set; } = new();
}

/// <summary>Knobs of the Service Quotas stand-in. The defaults are the AWS default values (3 imported models, 1
/// concurrent import job) with generous applied values (100 and 20), so suites that import many models pass; a test
/// sets appliedValue 1 (or null, to fall back to the default) to meet a quota.</summary>
public sealed class ServiceQuotasKnobs
{
    [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]
    public QuotaKnob ImportedModels { get; set; } = new() { DefaultValue = 3, AppliedValue = 100 };

    [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]
    public QuotaKnob ConcurrentImportJobs { get; set; } = new() { DefaultValue = 1, AppliedValue = 20 };

    /// <summary>An increase request is PENDING for this long, then CASE_OPENED for as long again, then decided.</summary>
    public int RequestStepMs { get; set; } = 2000;

    /// <summary>How a request is decided: APPROVED (raises the applied value), DENIED or NOT_APPROVED.</summary>
    public string RequestOutcome { get; set; } = "APPROVED";
}

/// <summary>One quota: its AWS default, the account's applied value (null: none, the default holds) and whether an
/// increase may be requested. An approved request raises the applied value above this.</summary>
public sealed class QuotaKnob
{
    public double DefaultValue { get; set; }

    public double? AppliedValue { get; set; }

    public bool Adjustable { get; set; } = true;
}

namespace BedrockImport.Engine.Quotas;

/// <summary>The two Service Quotas that gate Custom Model Import.</summary>
public enum ImportQuotaKind
{
    /// <summary>"Imported models per account": models that exist (billed for storage until deleted).</summary>
    ImportedModels,
    /// <summary>"Concurrent model import jobs": jobs InProgress at once.</summary>
    ConcurrentImportJobs,
}

/// <summary>One import quota in one region: its values as Service Quotas gives them and the account's usage.</summary>
public sealed class ImportQuota
{
    public ImportQuotaKind Kind { get; set; }

    /// <summary>The quota's name in Service Quotas (how it was found).</summary>
    public string Name { get; set; } = "";

    public string QuotaCode { get; set; } = "";

    public string? QuotaArn { get; set; }

    /// <summary>The account's applied value; null when Service Quotas has none (the default then holds).</summary>
    public double? AppliedValue { get; set; }

    /// <summary>The AWS default value; null when Service Quotas lists no default.</summary>
    public double? DefaultValue { get; set; }

    /// <summary>The value in force: the applied value, else the default.</summary>
    public double? Value => AppliedValue ?? DefaultValue;

    public bool Adjustable { get; set; }

    /// <summary>Imported models in the account, or import jobs InProgress.</summary>
    public int Usage { get; set; }

    /// <summary>How many more the quota allows now (never below 0); null when the value is unknown.</summary>
    public double? Remaining => Value is double value ? Math.Max(0, value - Usage) : null;

    public string Region { get; set; } = "";
}

/// <summary>An increase request for an import quota, as Service Quotas records it.</summary>
public sealed class ImportQuotaRequest
{
    public ImportQuotaKind Kind { get; set; }

    public string QuotaName { get; set; } = "";

    public string QuotaCode { get; set; } = "";

    /// <summary>The request id (RequestedServiceQuotaChange.Id).</summary>
    public string Id { get; set; } = "";

    /// <summary>PENDING, CASE_OPENED, APPROVED, DENIED, CASE_CLOSED, NOT_APPROVED or INVALID_REQUEST.</summary>
    public string Status { get; set; } = "";

    /// <summary>The support case, once one is opened.</summary>
    public string? CaseId { get; set; }

    public double? DesiredValue { get; set; }

    public DateTime? Created { get; set; }

    public DateTime? LastUpdated { get; set; }

    public string Region { get; set; } = "";
}

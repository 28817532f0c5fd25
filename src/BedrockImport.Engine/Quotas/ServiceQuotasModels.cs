using System.Text.Json.Serialization;
using BedrockImport.Engine.Bedrock;

namespace BedrockImport.Engine.Quotas;

// Wire shapes of Service Quotas (botocore data/service-quotas/2019-06-24/service-2.json), named as the model names them.
// Only the members this module reads or sends; JSON 1.1 writes them as named (PascalCase), timestamps as epoch seconds.

public sealed class ServiceQuota
{
    public string? ServiceCode { get; set; }
    public string? ServiceName { get; set; }
    public string? QuotaArn { get; set; }
    public string? QuotaCode { get; set; }
    public string? QuotaName { get; set; }
    public double? Value { get; set; }
    public string? Unit { get; set; }
    public bool? Adjustable { get; set; }
    public bool? GlobalQuota { get; set; }
    public string? QuotaAppliedAtLevel { get; set; }
    public string? Description { get; set; }
    public QuotaErrorReason? ErrorReason { get; set; }
}

public sealed class QuotaErrorReason
{
    public string? ErrorCode { get; set; }
    public string? ErrorMessage { get; set; }
}

/// <summary>RequestedServiceQuotaChange: one quota increase request and where it stands.</summary>
public sealed class RequestedServiceQuotaChange
{
    public string? Id { get; set; }
    public string? CaseId { get; set; }
    public string? ServiceCode { get; set; }
    public string? ServiceName { get; set; }
    public string? QuotaCode { get; set; }
    public string? QuotaName { get; set; }
    public double? DesiredValue { get; set; }
    /// <summary>PENDING, CASE_OPENED, APPROVED, DENIED, CASE_CLOSED, NOT_APPROVED or INVALID_REQUEST.</summary>
    public string? Status { get; set; }
    [JsonConverter(typeof(AwsTimestampConverter))]
    public DateTime? Created { get; set; }
    [JsonConverter(typeof(AwsTimestampConverter))]
    public DateTime? LastUpdated { get; set; }
    public string? Requester { get; set; }
    public string? QuotaArn { get; set; }
    public bool? GlobalQuota { get; set; }
    public string? Unit { get; set; }
}

public sealed class ListServiceQuotasRequest
{
    public string ServiceCode { get; set; } = "";
    public string? NextToken { get; set; }
    public int? MaxResults { get; set; }
    public string? QuotaCode { get; set; }
}

public sealed class ListAWSDefaultServiceQuotasRequest
{
    public string ServiceCode { get; set; } = "";
    public string? NextToken { get; set; }
    public int? MaxResults { get; set; }
}

public sealed class GetServiceQuotaRequest
{
    public string ServiceCode { get; set; } = "";
    public string QuotaCode { get; set; } = "";
}

public sealed class GetAWSDefaultServiceQuotaRequest
{
    public string ServiceCode { get; set; } = "";
    public string QuotaCode { get; set; } = "";
}

public sealed class RequestServiceQuotaIncreaseRequest
{
    public string ServiceCode { get; set; } = "";
    public string QuotaCode { get; set; } = "";
    public double DesiredValue { get; set; }
}

public sealed class ListRequestedServiceQuotaChangeHistoryByQuotaRequest
{
    public string ServiceCode { get; set; } = "";
    public string QuotaCode { get; set; } = "";
    public string? Status { get; set; }
    public string? NextToken { get; set; }
    public int? MaxResults { get; set; }
}

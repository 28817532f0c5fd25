using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Quotas;

/// <summary>Service Quotas (JSON 1.1, X-Amz-Target ServiceQuotasV20190624.&lt;operation&gt;, signing name servicequotas,
/// SigV4 always): the operations that read and raise a service's quotas. Every List* follows all pages.</summary>
public sealed class ServiceQuotasClient : Json11Client
{
    public ServiceQuotasClient(AwsSession session, RetryOptions? retry = null, IEngineLog? log = null)
        : this(session, new RetryPolicy(retry, log), log, null)
    {
    }

    /// <param name="innerHandler">Transport under the SigV4 signer (tests pass a fake); null for the real one.</param>
    internal ServiceQuotasClient(AwsSession session, RetryPolicy retry, IEngineLog? log, HttpMessageHandler? innerHandler)
        : base(session, AwsService.ServiceQuotas, retry, log, innerHandler)
    {
    }

    /// <summary>The applied values of a service's quotas. A quota whose applied value is not available is not listed:
    /// its default is in ListAWSDefaultServiceQuotasAsync.</summary>
    public Task<IReadOnlyList<ServiceQuota>> ListServiceQuotasAsync(string serviceCode, CancellationToken cancellationToken)
        => ListAllAsync<QuotaPage, ServiceQuota>("ListServiceQuotas",
            token => new ListServiceQuotasRequest { ServiceCode = serviceCode, NextToken = token },
            page => page.Quotas, page => page.NextToken, cancellationToken);

    public Task<IReadOnlyList<ServiceQuota>> ListAWSDefaultServiceQuotasAsync(string serviceCode, CancellationToken cancellationToken)
        => ListAllAsync<QuotaPage, ServiceQuota>("ListAWSDefaultServiceQuotas",
            token => new ListAWSDefaultServiceQuotasRequest { ServiceCode = serviceCode, NextToken = token },
            page => page.Quotas, page => page.NextToken, cancellationToken);

    public async Task<ServiceQuota> GetServiceQuotaAsync(string serviceCode, string quotaCode, CancellationToken cancellationToken)
        => QuotaOf("GetServiceQuota", await SendAsync<QuotaAnswer>("GetServiceQuota",
            new GetServiceQuotaRequest { ServiceCode = serviceCode, QuotaCode = quotaCode }, cancellationToken).ConfigureAwait(false));

    public async Task<ServiceQuota> GetAWSDefaultServiceQuotaAsync(string serviceCode, string quotaCode, CancellationToken cancellationToken)
        => QuotaOf("GetAWSDefaultServiceQuota", await SendAsync<QuotaAnswer>("GetAWSDefaultServiceQuota",
            new GetAWSDefaultServiceQuotaRequest { ServiceCode = serviceCode, QuotaCode = quotaCode }, cancellationToken).ConfigureAwait(false));

    /// <returns>The request as the service recorded it (its Id, Status, and CaseId once a case is opened).</returns>
    public async Task<RequestedServiceQuotaChange> RequestServiceQuotaIncreaseAsync(RequestServiceQuotaIncreaseRequest request, CancellationToken cancellationToken)
    {
        if (request == null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        var answer = await SendAsync<IncreaseAnswer>("RequestServiceQuotaIncrease", request, cancellationToken).ConfigureAwait(false);
        return answer.RequestedQuota
               ?? throw new UnexpectedResponseException("RequestServiceQuotaIncrease answered without a RequestedQuota.", 200, null);
    }

    /// <param name="status">Only requests in this status (PENDING, CASE_OPENED, ...); null for all.</param>
    public Task<IReadOnlyList<RequestedServiceQuotaChange>> ListRequestedServiceQuotaChangeHistoryByQuotaAsync(string serviceCode, string quotaCode,
        string? status, CancellationToken cancellationToken)
        => ListAllAsync<HistoryPage, RequestedServiceQuotaChange>("ListRequestedServiceQuotaChangeHistoryByQuota",
            token => new ListRequestedServiceQuotaChangeHistoryByQuotaRequest { ServiceCode = serviceCode, QuotaCode = quotaCode, Status = status, NextToken = token },
            page => page.RequestedQuotas, page => page.NextToken, cancellationToken);

    private static ServiceQuota QuotaOf(string operation, QuotaAnswer answer)
        => answer.Quota ?? throw new UnexpectedResponseException($"{operation} answered without a Quota.", 200, null);

    private sealed class QuotaPage
    {
        public string? NextToken { get; set; }
        public List<ServiceQuota>? Quotas { get; set; }
    }

    private sealed class HistoryPage
    {
        public string? NextToken { get; set; }
        public List<RequestedServiceQuotaChange>? RequestedQuotas { get; set; }
    }

    private sealed class QuotaAnswer
    {
        public ServiceQuota? Quota { get; set; }
    }

    private sealed class IncreaseAnswer
    {
        public RequestedServiceQuotaChange? RequestedQuota { get; set; }
    }
}

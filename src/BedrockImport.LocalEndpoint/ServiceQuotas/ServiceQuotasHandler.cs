using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.LocalEndpoint.Auth;
using BedrockImport.LocalEndpoint.Bedrock;
using BedrockImport.LocalEndpoint.Hosting;

namespace BedrockImport.LocalEndpoint.ServiceQuotas;

/// <summary>A JSON 1.1 error: __type and Message in the body (and x-amzn-ErrorType, as AWS sends it).</summary>
internal sealed class ServiceQuotasError : Exception
{
    public ServiceQuotasError(string code, string message) : base(message) => Code = code;

    public string Code { get; }

    public static ServiceQuotasError IllegalArgument(string message) => new("IllegalArgumentException", message);
}

/// <summary>The "servicequotas" signing service (JSON 1.1: POST / with X-Amz-Target ServiceQuotasV20190624.&lt;operation&gt;):
/// the read operations over the bedrock quotas, RequestServiceQuotaIncrease and the change history by quota.</summary>
internal sealed class ServiceQuotasHandler : IServiceHandler
{
    public const string TargetPrefix = "ServiceQuotasV20190624.";
    private const string ContentType = "application/x-amz-json-1.1";
    private const int MaxPageSize = 100;

    private static readonly JsonSerializerOptions WireOptions = new()
    {
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly EndpointContext _context;
    private readonly QuotaLedger _ledger;

    public ServiceQuotasHandler(EndpointContext context, QuotaLedger ledger)
    {
        _context = context;
        _ledger = ledger;
    }

    public string SigningService => "servicequotas";

    public string? ResolveOperation(HttpContext context)
    {
        var target = context.Request.Headers["X-Amz-Target"].ToString();
        return target.StartsWith(TargetPrefix, StringComparison.Ordinal) && target.Length > TargetPrefix.Length ? target.Substring(TargetPrefix.Length) : null;
    }

    public async Task HandleAsync(HttpContext context, VerifiedRequest request)
    {
        try
        {
            if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Path != "/")
                throw new ServiceQuotasError("UnknownOperationException", "Service Quotas speaks JSON 1.1: POST / with an X-Amz-Target header.");
            var operation = ResolveOperation(context)
                            ?? throw new ServiceQuotasError("UnknownOperationException", $"The X-Amz-Target header must be '{TargetPrefix}<operation>'.");
            var input = await ReadInputAsync(context).ConfigureAwait(false);
            object output = operation switch
            {
                "ListServiceQuotas" => ListQuotas(input, applied: true),
                "ListAWSDefaultServiceQuotas" => ListQuotas(input, applied: false),
                "GetServiceQuota" => new { Quota = QuotaView(RequireQuota(input), applied: true) },
                "GetAWSDefaultServiceQuota" => new { Quota = QuotaView(RequireQuota(input), applied: false) },
                "RequestServiceQuotaIncrease" => RequestIncrease(input),
                "ListRequestedServiceQuotaChangeHistoryByQuota" => History(input),
                _ => throw new ServiceQuotasError("UnknownOperationException",
                    $"The local endpoint does not implement Service Quotas' {operation}. It serves ListServiceQuotas, ListAWSDefaultServiceQuotas, GetServiceQuota, GetAWSDefaultServiceQuota, RequestServiceQuotaIncrease and ListRequestedServiceQuotaChangeHistoryByQuota."),
            };
            await WriteAsync(context, 200, JsonSerializer.Serialize(output, WireOptions)).ConfigureAwait(false);
        }
        catch (ServiceQuotasError e)
        {
            context.Response.Headers["x-amzn-ErrorType"] = e.Code;
            await WriteAsync(context, 400, JsonSerializer.Serialize(new { __type = e.Code, Message = e.Message })).ConfigureAwait(false);
        }
    }

    private static async Task<JsonObject> ReadInputAsync(HttpContext context)
    {
        var body = await BedrockHandler.ReadBodyAsync(context).ConfigureAwait(false);
        try
        {
            return (body.Length == 0 ? new JsonObject() : JsonNode.Parse(body) as JsonObject)
                   ?? throw new ServiceQuotasError("SerializationException", "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ServiceQuotasError("SerializationException", "The request body is not valid JSON: " + e.Message);
        }
    }

    private object ListQuotas(JsonObject input, bool applied)
    {
        RequireServiceCode(input);
        var quotaCode = OptionalString(input, "QuotaCode");
        var quotas = _ledger.Definitions
            .Where(q => quotaCode is null || q.Code == quotaCode)
            // ListServiceQuotas leaves out a quota whose applied value is not available (the default then holds).
            .Where(q => !applied || _ledger.AppliedValue(q) is not null)
            .ToList();
        var (page, next) = Page(input, quotas);
        return new { Quotas = page.Select(q => QuotaView(q, applied)).ToList(), NextToken = next };
    }

    private object QuotaView(QuotaDefinition quota, bool applied) => new
    {
        ServiceCode = QuotaLedger.ServiceCode,
        ServiceName = QuotaLedger.ServiceName,
        QuotaArn = QuotaArn(quota),
        QuotaCode = quota.Code,
        QuotaName = quota.Name,
        Value = applied ? _ledger.Value(quota) : _ledger.DefaultValue(quota),
        Unit = "None",
        Adjustable = _ledger.Adjustable(quota),
        GlobalQuota = false,
        QuotaAppliedAtLevel = "ACCOUNT",
    };

    private object RequestIncrease(JsonObject input)
    {
        var quota = RequireQuota(input);
        if (input["DesiredValue"] is not JsonValue desiredNode || !desiredNode.TryGetValue<double>(out var desired))
            throw ServiceQuotasError.IllegalArgument("DesiredValue is required and must be a number.");
        if (desired is < 0 or > 10_000_000_000 || double.IsNaN(desired))
            throw ServiceQuotasError.IllegalArgument($"DesiredValue {Format(desired)} is out of range: it must be between 0 and 10000000000.");
        if (!_ledger.Adjustable(quota))
            throw ServiceQuotasError.IllegalArgument($"The quota {quota.Code} ({quota.Name}) is not adjustable.");
        var current = _ledger.Value(quota);
        if (desired <= current)
            throw ServiceQuotasError.IllegalArgument($"The desired value {Format(desired)} must be greater than the current value {Format(current)} of quota {quota.Code}.");
        var record = _ledger.Add(quota, desired, existing =>
        {
            var now = _ledger.Now;
            if (existing.FirstOrDefault(r => r.IsOpenAt(now)) is { } open)
                throw new ServiceQuotasError("ResourceAlreadyExistsException",
                    $"A request to increase quota {quota.Code} is already open (request {open.Id}, {open.StatusAt(now)}). Wait until it is decided.");
        });
        return new { RequestedQuota = ChangeView(record) };
    }

    private object History(JsonObject input)
    {
        var quota = RequireQuota(input);
        var status = OptionalString(input, "Status");
        var statuses = new[] { "PENDING", "CASE_OPENED", "APPROVED", "DENIED", "CASE_CLOSED", "NOT_APPROVED", "INVALID_REQUEST" };
        if (status is not null && !statuses.Contains(status))
            throw ServiceQuotasError.IllegalArgument($"Status '{status}' is not one of {string.Join(", ", statuses)}.");
        var now = _ledger.Now;
        var requests = _ledger.Requests(quota.Code)
            .Where(r => status is null || r.StatusAt(now) == status)
            .OrderByDescending(r => r.Created).ThenBy(r => r.Id, StringComparer.Ordinal)
            .ToList();
        var (page, next) = Page(input, requests);
        return new { RequestedQuotas = page.Select(ChangeView).ToList(), NextToken = next };
    }

    private object ChangeView(QuotaRequestRecord record)
    {
        var now = _ledger.Now;
        var status = record.StatusAt(now);
        var quota = _ledger.Find(record.QuotaCode)!;
        return new
        {
            Id = record.Id,
            CaseId = status == "PENDING" ? null : record.CaseId,
            ServiceCode = QuotaLedger.ServiceCode,
            ServiceName = QuotaLedger.ServiceName,
            QuotaCode = record.QuotaCode,
            QuotaName = record.QuotaName,
            DesiredValue = record.DesiredValue,
            Status = status,
            Created = EpochSeconds(record.Created),
            LastUpdated = EpochSeconds(record.LastUpdatedAt(now)),
            Requester = $"arn:aws:iam::{BedrockIds.AccountId}:root",
            QuotaArn = QuotaArn(quota),
            GlobalQuota = false,
            Unit = "None",
            QuotaRequestedAtLevel = "ACCOUNT",
        };
    }

    private QuotaDefinition RequireQuota(JsonObject input)
    {
        RequireServiceCode(input);
        var code = OptionalString(input, "QuotaCode") ?? throw ServiceQuotasError.IllegalArgument("QuotaCode is required.");
        return _ledger.Find(code)
               ?? throw new ServiceQuotasError("NoSuchResourceException", $"The quota {code} does not exist for service {QuotaLedger.ServiceCode}.");
    }

    private static void RequireServiceCode(JsonObject input)
    {
        var code = OptionalString(input, "ServiceCode") ?? throw ServiceQuotasError.IllegalArgument("ServiceCode is required.");
        if (code != QuotaLedger.ServiceCode)
            throw new ServiceQuotasError("NoSuchResourceException",
                $"The service {code} is not available. The local endpoint serves the quotas of service code '{QuotaLedger.ServiceCode}' only.");
    }

    private static string? OptionalString(JsonObject input, string member)
        => input[member] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;

    private static (List<T> Page, string? NextToken) Page<T>(JsonObject input, List<T> items)
    {
        var size = MaxPageSize;
        if (input["MaxResults"] is JsonValue max && (!max.TryGetValue<int>(out size) || size is < 1 or > MaxPageSize))
            throw ServiceQuotasError.IllegalArgument($"MaxResults must be between 1 and {MaxPageSize}.");
        var offset = 0;
        if (OptionalString(input, "NextToken") is { } token)
        {
            var text = "";
            try
            {
                text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            }
            catch (FormatException)
            {
            }
            if (!text.StartsWith("offset:", StringComparison.Ordinal)
                || !int.TryParse(text.AsSpan("offset:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out offset))
                throw new ServiceQuotasError("InvalidPaginationTokenException", "Invalid pagination token.");
        }
        var page = items.Skip(offset).Take(size).ToList();
        var next = offset + page.Count < items.Count
            ? Convert.ToBase64String(Encoding.UTF8.GetBytes("offset:" + (offset + page.Count).ToString(CultureInfo.InvariantCulture)))
            : null;
        return (page, next);
    }

    private string QuotaArn(QuotaDefinition quota)
        => $"arn:aws:servicequotas:{_context.Region}:{BedrockIds.AccountId}:{QuotaLedger.ServiceCode}/{quota.Code}";

    private static double EpochSeconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000.0;

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static async Task WriteAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        context.Response.Headers["x-amzn-RequestId"] = AwsErrors.RequestId(context);
        await context.Response.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
    }
}

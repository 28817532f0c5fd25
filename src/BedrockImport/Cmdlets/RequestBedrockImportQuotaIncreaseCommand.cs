using System.Globalization;
using System.Management.Automation;
using BedrockImport.Engine.Quotas;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Asks Service Quotas to raise a Custom Model Import quota (RequestServiceQuotaIncrease). A quota that is not
/// adjustable, or a desired value not above the value in force, is refused before anything is sent.</summary>
[Cmdlet(VerbsLifecycle.Request, "BedrockImportQuotaIncrease", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ImportQuotaRequest))]
public sealed class RequestBedrockImportQuotaIncreaseCommand : AwsCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Kind")]
    [EnumName(typeof(ImportQuotaName)), ValidateEnumName]
    public ImportQuotaName Quota { get; set; }

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateRange(1, 10_000_000_000)]
    public double DesiredValue { get; set; }

    protected override async Task ProcessRecordAsync()
    {
        var session = ResolveSession();
        var kind = Quota.ToEngine();
        var target = $"{BedrockImportQuotas.QuotaNames[kind]} ({session.Region})";
        var action = "Request a quota increase to " + DesiredValue.ToString("0.###", CultureInfo.InvariantCulture);
        if (!await ShouldProcessAsync(target, action).ConfigureAwait(false))
        {
            return;
        }

        using var quotas = new BedrockImportQuotas(session, log: Log);
        var request = await quotas.RequestIncreaseAsync(kind, DesiredValue, CancellationToken).ConfigureAwait(false);
        WriteVerbose($"Requested '{request.QuotaName}' = {request.DesiredValue} in {request.Region}: request {request.Id}, status {request.Status}.");
        WriteObject(request);
    }
}

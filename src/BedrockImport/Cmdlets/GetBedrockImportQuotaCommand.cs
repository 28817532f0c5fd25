using System.Management.Automation;
using BedrockImport.Engine.Quotas;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Gets the two Custom Model Import quotas (imported models per account, concurrent import jobs) with their
/// applied and default values, usage and what remains; -History lists earlier increase requests instead.</summary>
[Cmdlet(VerbsCommon.Get, "BedrockImportQuota")]
[OutputType(typeof(ImportQuota), typeof(ImportQuotaRequest))]
public sealed class GetBedrockImportQuotaCommand : AwsCmdlet
{
    /// <summary>Lists the increase requests of both quotas (newest first) instead of the quotas.</summary>
    [Parameter]
    public SwitchParameter History { get; set; }

    protected override async Task ProcessRecordAsync()
    {
        using var quotas = new BedrockImportQuotas(ResolveSession(), log: Log);
        if (History)
        {
            foreach (var request in await quotas.GetHistoryAsync(CancellationToken).ConfigureAwait(false))
            {
                WriteObject(request);
            }

            return;
        }

        foreach (var quota in await quotas.GetAsync(CancellationToken).ConfigureAwait(false))
        {
            WriteObject(quota);
        }
    }
}

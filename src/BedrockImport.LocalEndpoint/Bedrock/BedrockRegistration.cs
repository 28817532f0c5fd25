using BedrockImport.LocalEndpoint.Bedrock;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.ServiceQuotas;

namespace BedrockImport.LocalEndpoint;

public sealed partial class LocalEndpointServer
{
    // Service Quotas shares its ledger with the Bedrock control plane, which refuses jobs beyond the quotas.
    static partial void RegisterBedrockHandlers(ServiceRegistry registry, EndpointContext context)
    {
        var quotas = new QuotaLedger(context);
        var bedrock = new BedrockHandler(context, quotas);
        registry.Add(bedrock);
        registry.AddUnsigned(new WeightsEngineReport(context, bedrock.Runtime));
        registry.AddUnsigned(new Admin.LocalModelsApi(context, bedrock.Runtime));
        registry.Add(new ServiceQuotasHandler(context, quotas));
    }
}

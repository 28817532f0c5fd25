using BedrockImport.LocalEndpoint.Bedrock;
using BedrockImport.LocalEndpoint.Hosting;

namespace BedrockImport.LocalEndpoint;

public sealed partial class LocalEndpointServer
{
    static partial void RegisterBedrockHandlers(ServiceRegistry registry, EndpointContext context)
        => registry.Add(new BedrockHandler(context));
}

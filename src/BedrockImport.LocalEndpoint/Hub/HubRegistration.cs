using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.Hub;

namespace BedrockImport.LocalEndpoint;

public sealed partial class LocalEndpointServer
{
    static partial void RegisterHubHandlers(ServiceRegistry registry, EndpointContext context)
        => registry.AddUnsigned(HubMirror.For(context));

    /// <summary>The Hugging Face Hub mirror (repositories under DATA/hub/, traffic records for tests).</summary>
    public HubMirror Hub => HubMirror.For(Context);
}

using BedrockImport.LocalEndpoint.Auth;

namespace BedrockImport.LocalEndpoint.Hosting;

// EXTENSION POINT (read me if you add a service, e.g. in Bedrock/):
//
//   1. Implement IServiceHandler for a SigV4 signing service ("bedrock" covers both the control plane and the
//      runtime: both sign as "bedrock"; tell them apart by path inside your handler).
//   2. Register it without touching this folder: add a file Bedrock/BedrockRegistration.cs with
//
//        namespace BedrockImport.LocalEndpoint;
//        public sealed partial class LocalEndpointServer
//        {
//            static partial void RegisterBedrockHandlers(ServiceRegistry registry, EndpointContext context)
//                => registry.Add(new BedrockHandler(context));
//        }
//
//      (a partial method: while nobody implements it, it compiles away. RegisterHubHandlers is the same for the Hub mirror.)
//   3. Before your handler runs, the host has already: verified SigV4 (VerifiedRequest), called ResolveOperation,
//      and let context.Faults.InjectAsync count the call in /_admin/stats, apply the latency knob and inject
//      throttles / 500s / dropped connections for "service:Operation" (see Knobs). Write errors with AwsErrors.WriteJsonErrorAsync.
//   4. Unsigned traffic (the admin API, the Hugging Face Hub mirror) registers an IUnsignedRoutes via registry.AddUnsigned:
//      ASP.NET Core endpoints that only unsigned requests reach. Their knobs go through context.Faults.InjectAsync too.
//
// EndpointContext gives you the S3 store (read the model files an import validates), the knobs
// (context.Knobs.Current.Bedrock, extend BedrockKnobs as a partial class in Bedrock/), the fault injector,
// the clock and the data directory (put your state under context.ServiceDataDirectory("bedrock")).

/// <summary>How a service formats its errors (auth failures and injected faults use it too).</summary>
public enum ErrorStyle
{
    /// <summary>S3: XML body &lt;Error&gt;&lt;Code/&gt;&lt;Message/&gt;&lt;/Error&gt;, x-amz-request-id.</summary>
    S3Xml,
    /// <summary>REST-JSON services: body {"message": ...}, x-amzn-ErrorType, x-amzn-RequestId.</summary>
    Json,
}

/// <summary>A SigV4-signed AWS service served by the local endpoint.</summary>
public interface IServiceHandler
{
    /// <summary>The service name in the credential scope, e.g. "s3" or "bedrock".</summary>
    string SigningService { get; }

    /// <summary>Whether the canonical URI is encoded once (S3) or twice (every other service).</summary>
    bool SingleEncodedCanonicalUri => false;

    ErrorStyle ErrorStyle => ErrorStyle.Json;

    /// <summary>The operation name for stats and per-operation knobs ("PutObject", "InvokeModel"); null when unknown.</summary>
    string? ResolveOperation(HttpContext context);

    Task HandleAsync(HttpContext context, VerifiedRequest request);
}

/// <summary>
/// Unsigned traffic (admin API, Hub mirror) as ASP.NET Core endpoints. Only requests without SigV4 are routed to them;
/// one that no route matches gets the host's answer (403 for AWS paths, otherwise a 404 that explains the routes).
/// </summary>
public interface IUnsignedRoutes
{
    void MapRoutes(IEndpointRouteBuilder routes);
}

public sealed class ServiceRegistry
{
    private readonly Dictionary<string, IServiceHandler> _signed = new(StringComparer.Ordinal);
    private readonly List<IUnsignedRoutes> _unsigned = new();

    public void Add(IServiceHandler handler) => _signed[handler.SigningService] = handler;

    public void AddUnsigned(IUnsignedRoutes routes) => _unsigned.Add(routes);

    public IServiceHandler? Find(string signingService) => _signed.TryGetValue(signingService, out var h) ? h : null;

    public IReadOnlyList<IUnsignedRoutes> Unsigned => _unsigned;
}

using BedrockImport.LocalEndpoint.Auth;
using Microsoft.AspNetCore.Http;

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
//      counted the call in /_admin/stats, applied the latency knob, and injected throttles / 500s / dropped
//      connections for "service:Operation" (see Knobs). Write errors with AwsErrors.WriteJsonErrorAsync.
//   4. Unsigned traffic (e.g. the Hugging Face Hub mirror) registers an IUnsignedHandler via registry.AddUnsigned.
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

/// <summary>Unsigned traffic (admin API, Hub mirror). The first handler whose CanHandle is true wins.</summary>
public interface IUnsignedHandler
{
    bool CanHandle(HttpContext context);
    Task HandleAsync(HttpContext context);
}

public sealed class ServiceRegistry
{
    private readonly Dictionary<string, IServiceHandler> _signed = new(StringComparer.Ordinal);
    private readonly List<IUnsignedHandler> _unsigned = new();

    public void Add(IServiceHandler handler) => _signed[handler.SigningService] = handler;

    public void AddUnsigned(IUnsignedHandler handler) => _unsigned.Add(handler);

    public IServiceHandler? Find(string signingService) => _signed.TryGetValue(signingService, out var h) ? h : null;

    public IReadOnlyList<IUnsignedHandler> Unsigned => _unsigned;
}

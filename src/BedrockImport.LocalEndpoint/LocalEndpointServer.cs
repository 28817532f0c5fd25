using System.Net;
using System.Text.Json;
using BedrockImport.LocalEndpoint.Admin;
using BedrockImport.LocalEndpoint.Auth;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.Knobs;
using BedrockImport.LocalEndpoint.S3;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace BedrockImport.LocalEndpoint;

/// <summary>
/// The local endpoint: SigV4-verified AWS services (S3, Bedrock) and the admin API on one loopback port (HTTP/1.1),
/// plus a second port that serves the same handlers over cleartext HTTP/2 with prior knowledge (h2c).
/// </summary>
public sealed partial class LocalEndpointServer : IAsyncDisposable
{
    private static readonly string[] BedrockPathPrefixes =
    {
        "/model-import-jobs", "/imported-models", "/model/", "/model-invocation-jobs", "/custom-models",
        "/foundation-models", "/tags/", "/listTagsForResource", "/tagResource", "/untagResource",
    };

    private readonly WebApplication _app;
    private readonly ServiceRegistry _registry;
    private readonly SigV4Verifier _verifier;

    private LocalEndpointServer(WebApplication app, EndpointContext context, ServiceRegistry registry, SigV4Verifier verifier,
        AccessKeyPair primaryKey)
    {
        _app = app;
        Context = context;
        _registry = registry;
        _verifier = verifier;
        AccessKeyId = primaryKey.AccessKeyId;
        SecretAccessKey = primaryKey.SecretAccessKey;
        BaseUrl = null!;
        Http2Url = null!;
    }

    /// <summary>The main port: HTTP/1.1 (every client whose handler speaks HTTP/1.1, and the admin API).</summary>
    public Uri BaseUrl { get; private set; }

    /// <summary>
    /// The same services over cleartext HTTP/2 only (prior knowledge, h2c). Kestrel cannot tell h2c from HTTP/1.1 on one
    /// cleartext port, so clients whose default handler speaks HTTP/2 on http:// URLs (the JavaScript Bedrock Runtime
    /// client) use this URL.
    /// </summary>
    public Uri Http2Url { get; private set; }

    public string AccessKeyId { get; }

    public string SecretAccessKey { get; }

    public string Region => Context.Region;

    public KnobStore Knobs => Context.Knobs;

    public EndpointContext Context { get; }

    public static async Task<LocalEndpointServer> StartAsync(LocalEndpointOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
            throw new ArgumentException("A data directory is required (--data DIR).", nameof(options));
        if (!IPAddress.IsLoopback(options.ListenAddress) && !options.AllowRemote)
            throw new InvalidOperationException(
                $"Refusing to listen on {options.ListenAddress}: it is not a loopback address. The endpoint accepts well-known test " +
                "credentials; pass --allow-remote (LocalEndpointOptions.AllowRemote) to listen on another address deliberately.");

        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDirectory);
        var config = options.ConfigFile is null ? null : EndpointConfig.Load(options.ConfigFile);
        var knobProblems = config?.Knobs?.Validate().ToList();
        if (knobProblems is { Count: > 0 })
            throw new InvalidOperationException($"Config file '{options.ConfigFile}' has invalid knobs: {string.Join(" ", knobProblems)}");

        var keys = options.Credentials is { Count: > 0 } ? options.Credentials
            : config?.Credentials is { Count: > 0 } ? config.Credentials
            : new List<AccessKeyPair> { new() { AccessKeyId = LocalEndpointOptions.DefaultAccessKeyId, SecretAccessKey = LocalEndpointOptions.DefaultSecretAccessKey } };
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in keys)
            secrets[pair.AccessKeyId] = pair.SecretAccessKey;

        var knobs = new KnobStore(dataDirectory, config?.Knobs);
        var stats = new RequestStats();
        var delay = options.Delay ?? (options.Clock == TimeProvider.System
            ? PreciseDelay.WaitAsync
            : (wait, token) => Task.Delay(wait, options.Clock, token));
        var context = new EndpointContext(dataDirectory, options.Region, knobs, new FaultInjector(knobs, stats, delay), stats,
            new S3Store(Path.Combine(dataDirectory, "s3"), options.Clock), options.Clock, delay);

        var registry = new ServiceRegistry();
        registry.Add(new S3Handler(context));
        registry.AddUnsigned(new AdminApi(context));
        RegisterBedrockHandlers(registry, context);
        RegisterHubHandlers(registry, context);
        options.ConfigureServices?.Invoke(registry, context);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = Array.Empty<string>(), ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        ListenOptions? http1Listener = null, http2Listener = null;
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.AddServerHeader = false;
            kestrel.Listen(options.ListenAddress, options.Port, listen => http1Listener = listen);
            kestrel.Listen(options.ListenAddress, options.Http2Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                http2Listener = listen;
            });
        });
        var app = builder.Build();
        var server = new LocalEndpointServer(app, context, registry, new SigV4Verifier(secrets, options.Region, options.Clock), keys[0]);
        server._apiKeys = ApiKeysFor(options);
        server.BuildPipeline(app);
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException(
                $"Cannot listen on {options.ListenAddress}:{options.Port} (HTTP/2 port {options.Http2Port}): {e.Message}", e);
        }
        server.BaseUrl = BoundUrl(http1Listener!);
        server.Http2Url = BoundUrl(http2Listener!);
        return server;
    }

    // Kestrel writes the bound port back into the listen options, so port 0 resolves to the port actually taken.
    private static Uri BoundUrl(ListenOptions listener)
    {
        var endPoint = listener.IPEndPoint!;
        return new UriBuilder(Uri.UriSchemeHttp, endPoint.Address.ToString(), endPoint.Port, "/").Uri;
    }

    static partial void RegisterBedrockHandlers(ServiceRegistry registry, EndpointContext context);

    static partial void RegisterHubHandlers(ServiceRegistry registry, EndpointContext context);

    /// <summary>Blocks until the host stops (SIGTERM / Ctrl+C when run from Program).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    public override string ToString() => $"LocalEndpointServer({BaseUrl})";

    // Signed requests go to the service of their credential scope. Only unsigned ones are routed, to the admin API and the
    // Hub mirror; what no route takes is refused or explained.
    private void BuildPipeline(WebApplication app)
    {
        app.Use(next => context => SigV4Verifier.IsSigned(context.Request) ? DispatchSignedAsync(context)
            : IsBearerForBedrock(context) ? DispatchBearerAsync(context) : next(context));
        app.UseRouting();
        app.UseEndpoints(endpoints =>
        {
            foreach (var unsigned in _registry.Unsigned)
                unsigned.MapRoutes(endpoints);
        });
        app.Run(RefuseUnroutedAsync);
    }

    private async Task DispatchSignedAsync(HttpContext context)
    {
        var request = context.Request;
        var claim = SigV4Verifier.ParseClaim(request, out var malformed);
        var handler = claim is null ? GuessHandler(request.Path) : _registry.Find(claim.Service);
        if (handler is null)
        {
            await AwsErrors.WriteJsonErrorAsync(context, 400, "UnrecognizedServiceException",
                $"The local endpoint does not serve the signing service '{claim?.Service}'.").ConfigureAwait(false);
            return;
        }
        if (claim is null)
        {
            await WriteAuthFailureAsync(context, handler.ErrorStyle, malformed!).ConfigureAwait(false);
            return;
        }

        var (verified, failure) = await _verifier.VerifyAsync(context, claim, handler.SingleEncodedCanonicalUri).ConfigureAwait(false);
        if (verified is null)
        {
            await WriteAuthFailureAsync(context, handler.ErrorStyle, failure!).ConfigureAwait(false);
            return;
        }

        await RunHandlerAsync(context, handler, verified).ConfigureAwait(false);
    }

    // Everything after authentication, the same for SigV4 and bearer tokens: operation, stats and faults, the handler.
    private async Task RunHandlerAsync(HttpContext context, IServiceHandler handler, VerifiedRequest verified)
    {
        var operation = handler.ResolveOperation(context);
        verified.Operation = operation;
        var fault = await Context.Faults.InjectAsync(context, handler.SigningService, operation, FaultAnswers.For(handler.ErrorStyle)).ConfigureAwait(false);
        if (fault != FaultKind.None)
            return;

        try
        {
            await handler.HandleAsync(context, verified).ConfigureAwait(false);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // Client went away.
        }
        catch (Exception e)
        {
            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }
            await AwsErrors.WriteErrorAsync(context, handler.ErrorStyle, 500,
                handler.ErrorStyle == ErrorStyle.S3Xml ? "InternalError" : "InternalServerException",
                "Local endpoint failure: " + e.GetType().Name + ": " + e.Message).ConfigureAwait(false);
        }
    }

    private async Task RefuseUnroutedAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (IsBedrockPath(path))
        {
            Context.Stats.AddAuthRefusal();
            await AwsErrors.WriteJsonErrorAsync(context, 403, "MissingAuthenticationTokenException", "Missing Authentication Token").ConfigureAwait(false);
            return;
        }
        if (BedrockApiKeys.HasBearer(context.Request))
        {
            await RefuseBearerAsS3Async(context).ConfigureAwait(false);
            return;
        }
        var firstSegment = path.TrimStart('/').Split('/')[0];
        if (path == "/" || (firstSegment.Length > 0 && Context.S3.BucketExists(firstSegment)))
        {
            Context.Stats.AddAuthRefusal();
            await AwsErrors.WriteS3ErrorAsync(context, 403, "AccessDenied", "Access Denied").ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = 404;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            message = $"The local endpoint has no unsigned route for '{path}'. AWS requests must be SigV4-signed; the admin API is under /_admin/ (health, knobs, stats, s3/multipart-uploads, s3/objects).",
        })).ConfigureAwait(false);
    }

    private static bool IsBedrockPath(string path)
        => BedrockPathPrefixes.Any(p => path.StartsWith(p, StringComparison.Ordinal) || path == p.TrimEnd('/'));

    private IServiceHandler? GuessHandler(PathString path)
        => IsBedrockPath(path.Value ?? "/") ? _registry.Find("bedrock") ?? _registry.Find("s3") : _registry.Find("s3");

    private Task WriteAuthFailureAsync(HttpContext context, ErrorStyle style, AuthFailure failure)
    {
        Context.Stats.AddAuthRefusal();
        var now = Context.Clock.GetUtcNow().UtcDateTime;
        if (style == ErrorStyle.S3Xml)
        {
            var extra = new Dictionary<string, string>();
            if (failure.AccessKeyId is not null)
                extra["AWSAccessKeyId"] = failure.AccessKeyId;
            if (failure.StringToSign is not null)
                extra["StringToSign"] = failure.StringToSign;
            if (failure.CanonicalRequest is not null)
                extra["CanonicalRequest"] = failure.CanonicalRequest;
            var (status, code) = failure.Kind switch
            {
                AuthFailureKind.UnknownAccessKey => (403, "InvalidAccessKeyId"),
                AuthFailureKind.TimeSkewed => (403, "RequestTimeTooSkewed"),
                AuthFailureKind.Expired => (403, "AccessDenied"),
                AuthFailureKind.SignatureMismatch => (403, "SignatureDoesNotMatch"),
                _ => (400, "AuthorizationHeaderMalformed"),
            };
            if (failure.Kind == AuthFailureKind.WrongRegion)
            {
                // S3 names the region to use, so clients that follow region redirects can retry there.
                extra["Region"] = Region;
                return failure.Presigned
                    ? AwsErrors.WriteS3ErrorAsync(context, 400, "AuthorizationQueryParametersError",
                        $"Error parsing the X-Amz-Credential parameter; the region '{failure.ClaimedRegion}' is wrong; expecting '{Region}'", extra)
                    : AwsErrors.WriteS3ErrorAsync(context, 400, "AuthorizationHeaderMalformed",
                        $"The authorization header is malformed; the region '{failure.ClaimedRegion}' is wrong; expecting '{Region}'", extra);
            }
            if (failure.Kind == AuthFailureKind.TimeSkewed)
            {
                extra["RequestTime"] = failure.AmzDate ?? "";
                extra["ServerTime"] = now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
                extra["MaxAllowedSkewMilliseconds"] = "900000";
            }
            return AwsErrors.WriteS3ErrorAsync(context, status, code, failure.Message, extra);
        }

        return failure.Kind switch
        {
            AuthFailureKind.UnknownAccessKey => AwsErrors.WriteJsonErrorAsync(context, 403, "UnrecognizedClientException",
                "The security token included in the request is invalid."),
            AuthFailureKind.TimeSkewed or AuthFailureKind.Expired => AwsErrors.WriteJsonErrorAsync(context, 403, "InvalidSignatureException",
                $"Signature expired: {failure.AmzDate} is now earlier than {now.AddMinutes(-15):yyyyMMdd'T'HHmmss'Z'} ({now:yyyyMMdd'T'HHmmss'Z'} - 15 min.)"),
            AuthFailureKind.WrongRegion => AwsErrors.WriteJsonErrorAsync(context, 403, "InvalidSignatureException",
                $"Credential should be scoped to a valid region, not '{failure.ClaimedRegion}'."),
            AuthFailureKind.SignatureMismatch => AwsErrors.WriteJsonErrorAsync(context, 403, "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."),
            _ => AwsErrors.WriteJsonErrorAsync(context, 400, "IncompleteSignatureException", failure.Message),
        };
    }
}

/// <summary>The --config file: {"credentials": [{"accessKeyId", "secretAccessKey"}], "knobs": {...}}.</summary>
public sealed class EndpointConfig
{
    public List<AccessKeyPair>? Credentials { get; set; }

    public Knobs.Knobs? Knobs { get; set; }

    public static EndpointConfig Load(string path)
        => JsonSerializer.Deserialize<EndpointConfig>(File.ReadAllText(path), KnobStore.JsonOptions)
           ?? throw new InvalidDataException($"Config file '{path}' is empty.");
}

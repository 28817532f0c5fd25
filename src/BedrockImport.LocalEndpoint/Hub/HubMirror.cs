using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.Knobs;

namespace BedrockImport.LocalEndpoint.Hub;

/// <summary>
/// Unsigned Hugging Face Hub mirror over DATA/hub/&lt;org&gt;/&lt;name&gt;/ (see Hub/README.md):
/// GET /api/models/{repo}[/revision/{rev}], GET /api/models/{repo}/tree/{rev}[/{path}], GET|HEAD /{repo}/resolve/{rev}/{file},
/// GET|HEAD /_cdn/{token} (LFS bytes on the other host name, no auth), GET|DELETE /_hub/traffic.
/// </summary>
public sealed partial class HubMirror : IUnsignedRoutes
{
    public const string StatsService = "hub";
    private const string CdnPrefix = "/_cdn/";

    private static readonly ConditionalWeakTable<EndpointContext, HubMirror> Mirrors = new();
    private static readonly JsonSerializerOptions WireJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never };

    private readonly EndpointContext _context;
    private readonly HubCdnTokens _cdnTokens = new();

    internal HubMirror(EndpointContext context)
    {
        _context = context;
        Store = new HubRepositoryStore(context.ServiceDataDirectory("hub"), () => Math.Max(1, context.Knobs.Current.Hub.LfsThresholdBytes));
    }

    public HubRepositoryStore Store { get; }

    public HubTraffic Traffic { get; } = new();

    /// <summary>The mirror of a running endpoint (registered by RegisterHubHandlers).</summary>
    public static HubMirror For(EndpointContext context) => Mirrors.GetValue(context, c => new HubMirror(c));

    public void MapRoutes(IEndpointRouteBuilder routes)
    {
        var model = routes.MapGroup("/api/models/{org}/{name}");
        MapOperation(model, "", "ModelInfo", context => HandleModelInfoAsync(context, "main"));
        MapOperation(model, "/revision/{**revision}", "ModelInfo", context => HandleModelInfoAsync(context, Revision(context)));
        MapOperation(model, "/tree/{revision}/{**path}", "Tree", HandleTreeAsync);
        routes.Map("/api/models/{**unknown}", context => WhenReadAsync(context,
            () => WriteErrorAsync(context, 404, null, $"The Hub mirror has no API route '{context.Request.Path.Value}'.")));
        MapOperation(routes, "/{org}/{name}/resolve/{revision}/{**file}", "Resolve", HandleResolveAsync);
        MapOperation(routes, CdnPrefix + "{**token}", "Cdn", HandleCdnAsync);
        routes.Map("/_hub/traffic", HandleTrafficAsync);
    }

    /// <summary>A GET|HEAD route of one operation: its latency and faults come from the knobs of "hub:operation".</summary>
    private void MapOperation(IEndpointRouteBuilder routes, string pattern, string operation, RequestDelegate handle)
    {
        var faults = new FaultAnswers(
            context =>
            {
                context.Response.Headers["Retry-After"] = Math.Max(0, _context.Knobs.Current.Hub.RetryAfterSeconds).ToString(CultureInfo.InvariantCulture);
                return WriteErrorAsync(context, 429, null, "You have exceeded our hourly quotas for action 'resolve'. We invite you to retry later.");
            },
            context => WriteErrorAsync(context, 500, null, "Internal Error - We're working hard to fix this as soon as possible!"),
            (context, fault) => Record(context, operation, fault == FaultKind.DropConnection ? 0 : context.Response.StatusCode, 0));
        routes.Map(pattern, context => WhenReadAsync(context, async () =>
        {
            if (await _context.Faults.InjectAsync(context, StatsService, operation, faults).ConfigureAwait(false) == FaultKind.None)
                await handle(context).ConfigureAwait(false);
        }));
    }

    /// <summary>The mirror serves reads only: any other method is a 405 in the Hub's error shape (not counted).</summary>
    private static Task WhenReadAsync(HttpContext context, Func<Task> read)
    {
        var method = context.Request.Method;
        return HttpMethods.IsGet(method) || HttpMethods.IsHead(method)
            ? read()
            : WriteErrorAsync(context, 405, null, $"Method {method} is not allowed on the Hub mirror.");
    }

    private static string RouteValue(HttpContext context, string name) => context.Request.RouteValues[name] as string ?? "";

    // Request.Path is already decoded except for "%2F" (a revision like refs/pr/1 arrives as refs%2Fpr%2F1).
    private static string Revision(HttpContext context) => RouteValue(context, "revision").Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    /// <summary>Null for the snapshot after writing the error (401/403/404 with X-Error-Code) when the caller may not see it.</summary>
    private async Task<HubRepoSnapshot?> AuthorizeAsync(HttpContext context, string revision, string operation)
    {
        var (org, name) = (RouteValue(context, "org"), RouteValue(context, "name"));
        var snapshot = Store.Find(org, name);
        var (status, code, message) = HubAccess.Decide(snapshot, org + "/" + name, HubAccess.BearerToken(context.Request), fileAccess: operation == "Resolve");
        if (status == 0 && !snapshot!.ResolvesRevision(revision))
            (status, code, message) = (404, "RevisionNotFound", $"Invalid rev id: {revision}");
        if (status == 0)
            return snapshot;
        await WriteErrorAsync(context, status, code, message).ConfigureAwait(false);
        Record(context, operation, status, 0);
        return null;
    }

    // GET (or any method but DELETE, as always): the records; DELETE: reset them.
    private async Task HandleTrafficAsync(HttpContext context)
    {
        if (HttpMethods.IsDelete(context.Request.Method))
        {
            Traffic.Reset();
            context.Response.StatusCode = 204;
            return;
        }
        await WriteJsonAsync(context, 200, new { bytesServed = Traffic.BytesServed, requests = Traffic.Records }, Engine.Json.EngineJson.Options).ConfigureAwait(false);
    }

    private void Record(HttpContext context, string operation, int status, long bytes)
        => Traffic.Add(new HubRequestRecord
        {
            Operation = operation,
            Method = context.Request.Method,
            Host = context.Request.Host.Value ?? "",
            Path = context.Request.Path.Value ?? "",
            HadAuthorization = context.Request.Headers.ContainsKey("Authorization"),
            Range = context.Request.Headers.Range.Count > 0 ? context.Request.Headers.Range.ToString() : null,
            Status = status,
            Bytes = bytes,
        });

    /// <summary>The Hub's error shape: status, X-Error-Code (when typed), X-Error-Message, body {"error": message} (none for HEAD).</summary>
    private static async Task WriteErrorAsync(HttpContext context, int status, string? code, string message)
    {
        var response = context.Response;
        response.StatusCode = status;
        if (code is not null)
            response.Headers["X-Error-Code"] = code;
        response.Headers["X-Error-Message"] = message;
        if (HttpMethods.IsHead(context.Request.Method))
            return;
        response.ContentType = "application/json";
        await response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message }), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, object body, JsonSerializerOptions? options = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(JsonSerializer.Serialize(body, options ?? WireJson), context.RequestAborted).ConfigureAwait(false);
    }
}

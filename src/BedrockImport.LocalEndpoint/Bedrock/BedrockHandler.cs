using System.Text.Json;
using BedrockImport.Engine.Json;
using BedrockImport.LocalEndpoint.Auth;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.ServiceQuotas;
using Microsoft.AspNetCore.Http.Features;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>An error answered as REST-JSON: status, x-amzn-ErrorType and {"message"}.</summary>
internal sealed class BedrockError : Exception
{
    public BedrockError(int status, string code, string message) : base(message)
    {
        Status = status;
        Code = code;
    }

    public int Status { get; }
    public string Code { get; }

    public static BedrockError Validation(string message) => new(400, "ValidationException", message);
    public static BedrockError NotFound(string message) => new(404, "ResourceNotFoundException", message);
    public static BedrockError Conflict(string message) => new(400, "ConflictException", message);
    public static BedrockError QuotaExceeded(string message) => new(400, "ServiceQuotaExceededException", message);
}

/// <summary>The "bedrock" signing service: the control plane (import jobs, imported models) and the runtime (invoke),
/// told apart by path.</summary>
internal sealed class BedrockHandler : IServiceHandler
{
    private readonly ControlPlane _control;
    private readonly BedrockRuntime _runtime;
    private readonly BedrockConverse _converse;

    public BedrockHandler(EndpointContext context, QuotaLedger quotas)
    {
        var store = new ImportJobStore(Path.Combine(context.ServiceDataDirectory("bedrock"), "import-jobs"), context.Clock);
        _runtime = new BedrockRuntime(context, store);
        _control = new ControlPlane(context, store, quotas, _runtime.Engine);
        _converse = new BedrockConverse(context, _runtime);
    }

    /// <summary>The runtime, for the /_admin/models report of the weights engine.</summary>
    internal BedrockRuntime Runtime => _runtime;

    public string SigningService => "bedrock";

    public string? ResolveOperation(HttpContext context) => Route(context).Operation;

    public async Task HandleAsync(HttpContext context, VerifiedRequest request)
    {
        var (operation, identifier) = Route(context);
        try
        {
            switch (operation)
            {
                case "CreateModelImportJob": await _control.CreateModelImportJobAsync(context).ConfigureAwait(false); break;
                case "GetModelImportJob": await _control.GetModelImportJobAsync(context, identifier!).ConfigureAwait(false); break;
                case "ListModelImportJobs": await _control.ListModelImportJobsAsync(context).ConfigureAwait(false); break;
                case "GetImportedModel": await _control.GetImportedModelAsync(context, identifier!).ConfigureAwait(false); break;
                case "ListImportedModels": await _control.ListImportedModelsAsync(context).ConfigureAwait(false); break;
                case "DeleteImportedModel": await _control.DeleteImportedModelAsync(context, identifier!).ConfigureAwait(false); break;
                case "ListTagsForResource": await _control.ListTagsForResourceAsync(context).ConfigureAwait(false); break;
                case "InvokeModel": await _runtime.InvokeModelAsync(context, identifier!, streaming: false).ConfigureAwait(false); break;
                case "InvokeModelWithResponseStream": await _runtime.InvokeModelAsync(context, identifier!, streaming: true).ConfigureAwait(false); break;
                case "Converse": await _converse.ConverseAsync(context, identifier!, streaming: false).ConfigureAwait(false); break;
                case "ConverseStream": await _converse.ConverseAsync(context, identifier!, streaming: true).ConfigureAwait(false); break;
                default:
                    throw new BedrockError(404, "UnknownOperationException",
                        $"The local endpoint does not implement {context.Request.Method} {context.Request.Path}. It serves the six Custom Model Import operations, ListTagsForResource and InvokeModel / InvokeModelWithResponseStream / Converse / ConverseStream.");
            }
        }
        catch (BedrockError e)
        {
            await AwsErrors.WriteJsonErrorAsync(context, e.Status, e.Code, e.Message).ConfigureAwait(false);
        }
    }

    /// <summary>The operation and its URI label (percent-decoded from the raw path, so an ARN's %2F survives).</summary>
    private static (string? Operation, string? Identifier) Route(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var query = raw.IndexOf('?');
        if (query >= 0) raw = raw.Substring(0, query);
        var segments = raw.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var method = context.Request.Method;
        switch (segments)
        {
            case ["model-import-jobs"] when HttpMethods.IsPost(method): return ("CreateModelImportJob", null);
            case ["model-import-jobs"] when HttpMethods.IsGet(method): return ("ListModelImportJobs", null);
            case ["model-import-jobs", var job] when HttpMethods.IsGet(method): return ("GetModelImportJob", job);
            case ["imported-models"] when HttpMethods.IsGet(method): return ("ListImportedModels", null);
            case ["imported-models", var model] when HttpMethods.IsGet(method): return ("GetImportedModel", model);
            case ["imported-models", var model] when HttpMethods.IsDelete(method): return ("DeleteImportedModel", model);
            case ["listTagsForResource"] when HttpMethods.IsPost(method): return ("ListTagsForResource", null);
            case ["model", var model, "invoke"] when HttpMethods.IsPost(method): return ("InvokeModel", model);
            case ["model", var model, "invoke-with-response-stream"] when HttpMethods.IsPost(method): return ("InvokeModelWithResponseStream", model);
            case ["model", var model, "converse"] when HttpMethods.IsPost(method): return ("Converse", model);
            case ["model", var model, "converse-stream"] when HttpMethods.IsPost(method): return ("ConverseStream", model);
            default: return (null, null);
        }
    }

    internal static async Task WriteJsonAsync(HttpContext context, int status, object body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["x-amzn-RequestId"] = AwsErrors.RequestId(context);
        await context.Response.WriteAsync(JsonSerializer.Serialize(body, EngineJson.Options), context.RequestAborted).ConfigureAwait(false);
    }

    internal static async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        return buffer.ToArray();
    }
}

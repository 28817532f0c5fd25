using System.Text.Json.Nodes;
using BedrockImport.LocalEndpoint.Hosting;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>GET /_admin/models (unsigned): every imported model that exists, with the engine that answers it under the
/// current knobs ("weights", "stand-in", or "none" when bedrock.engine "weights" refuses it), its state (weights:
/// not-loaded, loading, loaded, generating; otherwise stand-in, answer-book, unsupported), why, and the last weights
/// generation's tokens/s. Reading it runs the engine's check of the model folder but loads no weights.</summary>
internal sealed class WeightsEngineReport : IUnsignedRoutes
{
    private readonly EndpointContext _context;
    private readonly BedrockRuntime _runtime;

    public WeightsEngineReport(EndpointContext context, BedrockRuntime runtime)
    {
        _context = context;
        _runtime = runtime;
    }

    public void MapRoutes(IEndpointRouteBuilder routes) => routes.MapGet("/_admin/models", WriteAsync);

    private async Task WriteAsync(HttpContext http)
    {
        var knobs = _context.Knobs.Current.Bedrock;
        var models = new JsonArray();
        foreach (var job in _runtime.Store.Jobs().Where(_runtime.Store.ModelExists).OrderBy(j => j.ImportedModelName, StringComparer.Ordinal))
        {
            var hasBook = _runtime.Responses(job) is not null;
            var choice = _runtime.Engine.Describe(job, knobs, hasBook);
            var model = new JsonObject
            {
                ["modelArn"] = job.ImportedModelArn,
                ["modelName"] = job.ImportedModelName,
                ["modelArchitecture"] = job.ModelArchitecture,
                ["engine"] = choice.Engine,
                ["state"] = choice.State,
                ["reason"] = choice.Reason,
                // The book answers before the weights when the folder has one.
                ["answerBook"] = hasBook,
            };
            if (_runtime.Engine.LastGeneration(job) is { } last)
                model["lastGeneration"] = new JsonObject
                {
                    ["promptTokens"] = last.PromptTokens,
                    ["outputTokens"] = last.OutputTokens,
                    ["prefillMs"] = Math.Round(last.PrefillMs, 3),
                    ["decodeTokensPerSecond"] = Math.Round(last.DecodeTokensPerSecond, 1),
                };
            models.Add(model);
        }
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(new JsonObject { ["engineKnob"] = knobs.Engine, ["models"] = models }.ToJsonString(), http.RequestAborted).ConfigureAwait(false);
    }
}

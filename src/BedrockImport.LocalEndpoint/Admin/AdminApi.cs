using System.Text.Json;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.Knobs;
using Microsoft.AspNetCore.Http;

namespace BedrockImport.LocalEndpoint.Admin;

/// <summary>Unsigned admin API: GET /_admin/health, GET|PUT /_admin/knobs, GET|DELETE /_admin/stats.</summary>
internal sealed class AdminApi
{
    private readonly EndpointContext _context;

    public AdminApi(EndpointContext context) => _context = context;

    public async Task HandleAsync(HttpContext http)
    {
        var path = http.Request.Path.Value!.TrimEnd('/');
        var method = http.Request.Method;
        switch (path)
        {
            case "/_admin/health" when HttpMethods.IsGet(method):
                await WriteJsonAsync(http, 200, JsonSerializer.Serialize(new { status = "ok" })).ConfigureAwait(false);
                return;
            case "/_admin/knobs" when HttpMethods.IsGet(method):
                await WriteJsonAsync(http, 200, KnobStore.Serialize(_context.Knobs.Current)).ConfigureAwait(false);
                return;
            case "/_admin/knobs" when HttpMethods.IsPut(method):
                Knobs.Knobs knobs;
                try
                {
                    using var reader = new StreamReader(http.Request.Body);
                    knobs = KnobStore.Deserialize(await reader.ReadToEndAsync(http.RequestAborted).ConfigureAwait(false));
                }
                catch (JsonException e)
                {
                    await WriteJsonAsync(http, 400, JsonSerializer.Serialize(new { message = "Invalid knobs JSON: " + e.Message })).ConfigureAwait(false);
                    return;
                }
                var problems = knobs.Validate().ToList();
                if (problems.Count > 0)
                {
                    await WriteJsonAsync(http, 400, JsonSerializer.Serialize(new { message = "Invalid knobs: " + string.Join(" ", problems) })).ConfigureAwait(false);
                    return;
                }
                _context.Knobs.Set(knobs);
                await WriteJsonAsync(http, 200, KnobStore.Serialize(knobs)).ConfigureAwait(false);
                return;
            case "/_admin/stats" when HttpMethods.IsGet(method):
                await WriteJsonAsync(http, 200, JsonSerializer.Serialize(new { operations = _context.Stats.Snapshot() }, KnobStore.JsonOptions)).ConfigureAwait(false);
                return;
            case "/_admin/stats" when HttpMethods.IsDelete(method):
                _context.Stats.Reset();
                http.Response.StatusCode = 204;
                return;
            default:
                await WriteJsonAsync(http, 404, JsonSerializer.Serialize(new
                {
                    message = $"Unknown admin route {method} {path}. Routes: GET /_admin/health, GET|PUT /_admin/knobs, GET|DELETE /_admin/stats.",
                })).ConfigureAwait(false);
                return;
        }
    }

    private static async Task WriteJsonAsync(HttpContext http, int status, string json)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(json, http.RequestAborted).ConfigureAwait(false);
    }
}

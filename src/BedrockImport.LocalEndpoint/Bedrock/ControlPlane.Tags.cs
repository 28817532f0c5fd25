using System.Text.Json;
using BedrockImport.Engine.Bedrock;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>ListTagsForResource for the resources this endpoint has: the tags CreateModelImportJob was given, jobTags on the
/// job and importedModelTags on the model it created (once the job completed, until the model is deleted).</summary>
internal sealed partial class ControlPlane
{
    public async Task ListTagsForResourceAsync(HttpContext http)
    {
        var body = await BedrockHandler.ReadBodyAsync(http).ConfigureAwait(false);
        string? arn;
        try
        {
            using var document = JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body);
            arn = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("resourceARN", out var value)
                  && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (JsonException e)
        {
            throw new BedrockError(400, "SerializationException", "The request body is not a valid ListTagsForResource JSON object: " + e.Message);
        }

        if (string.IsNullOrEmpty(arn))
            throw BedrockError.Validation("1 validation error detected: Value null at 'resourceARN' failed to satisfy constraint: Member must not be null");
        if (arn.Length is < 20 or > 1011)
            throw BedrockError.Validation($"1 validation error detected: Value '{arn}' at 'resourceARN' failed to satisfy constraint: Member must have length between 20 and 1011");

        var jobs = _store.Jobs();
        var tags = jobs.FirstOrDefault(j => j.JobArn == arn)?.JobTags
                   ?? (jobs.FirstOrDefault(j => j.ImportedModelArn == arn && _store.ModelExists(j)) is { } model
                       ? model.ImportedModelTags ?? new List<Tag>()
                       : null);
        if (tags is null && !jobs.Any(j => j.JobArn == arn))
            throw BedrockError.NotFound($"The resource '{arn}' was not found. Check the ARN and the Region; an imported model has tags only once its import job completed.");

        await BedrockHandler.WriteJsonAsync(http, 200, new { tags = tags ?? new List<Tag>() }).ConfigureAwait(false);
    }
}

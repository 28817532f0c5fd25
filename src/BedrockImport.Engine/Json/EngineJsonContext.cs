using System.Text.Json.Serialization;
using BedrockImport.Engine.Bedrock;

namespace BedrockImport.Engine.Json;

/// <summary>Compile-time JSON metadata for the Bedrock control-plane shapes, the first a session reads (Get-ImportedModel,
/// Get-BedrockImportJob, Start-BedrockModelImport). Without it the first call of a session builds that metadata by
/// reflection and emits and compiles an accessor per property, a cost issue 15 measured in the first cmdlet after
/// Import-Module. EngineJson.Options consults it first and falls back to reflection for every other type, so the
/// options (camelCase, case-insensitive reads, nulls left out) stay the one set that decides the wire form.</summary>
[JsonSerializable(typeof(ImportedModel))]
[JsonSerializable(typeof(ModelImportJob))]
[JsonSerializable(typeof(CreateModelImportJobRequest))]
[JsonSerializable(typeof(BedrockControlClient.CreateModelImportJobResponse))]
[JsonSerializable(typeof(BedrockControlClient.ListImportedModelsResponse))]
[JsonSerializable(typeof(BedrockControlClient.ListModelImportJobsResponse))]
[JsonSerializable(typeof(BedrockControlClient.ListTagsForResourceRequest))]
[JsonSerializable(typeof(BedrockControlClient.ListTagsForResourceResponse))]
internal sealed partial class EngineJsonContext : JsonSerializerContext
{
}

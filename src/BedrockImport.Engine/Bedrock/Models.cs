using System.Text.Json.Serialization;

namespace BedrockImport.Engine.Bedrock;

// Wire shapes of the Bedrock control plane (bedrock-wire-protocol.md §2). One .NET type serves both the
// Get* response and the List* summary, so every cmdlet emits the same object type.

public sealed class Tag
{
    public string Key { get; set; } = "";
    public string Value { get; set; } = "";
}

public sealed class S3DataSource
{
    public string S3Uri { get; set; } = "";
}

public sealed class ModelDataSource
{
    public S3DataSource? S3DataSource { get; set; }
}

public sealed class VpcConfig
{
    public List<string> SubnetIds { get; set; } = new List<string>();
    public List<string> SecurityGroupIds { get; set; } = new List<string>();
}

public sealed class CustomModelUnits
{
    public int? CustomModelUnitsPerModelCopy { get; set; }
    public string? CustomModelUnitsVersion { get; set; }
}

public sealed class ModelImportJob
{
    public string? JobArn { get; set; }
    public string? JobName { get; set; }
    public string? ImportedModelName { get; set; }
    public string? ImportedModelArn { get; set; }
    public string? RoleArn { get; set; }
    public ModelDataSource? ModelDataSource { get; set; }
    public string? Status { get; set; }
    public string? FailureMessage { get; set; }
    [JsonConverter(typeof(AwsTimestampConverter))]
    public DateTime? CreationTime { get; set; }
    [JsonConverter(typeof(AwsTimestampConverter))]
    public DateTime? LastModifiedTime { get; set; }
    [JsonConverter(typeof(AwsTimestampConverter))]
    public DateTime? EndTime { get; set; }
    public VpcConfig? VpcConfig { get; set; }
    public string? ImportedModelKmsKeyArn { get; set; }

    /// <summary>Convenience: modelDataSource.s3DataSource.s3Uri.</summary>
    [JsonIgnore]
    public string? S3Uri => ModelDataSource?.S3DataSource?.S3Uri;
}

public sealed class ImportedModel
{
    public string? ModelArn { get; set; }
    public string? ModelName { get; set; }
    public string? JobName { get; set; }
    public string? JobArn { get; set; }
    public ModelDataSource? ModelDataSource { get; set; }
    [JsonConverter(typeof(AwsTimestampConverter))]
    public DateTime? CreationTime { get; set; }
    public string? ModelArchitecture { get; set; }
    public string? ModelKmsKeyArn { get; set; }
    public bool? InstructSupported { get; set; }
    public CustomModelUnits? CustomModelUnits { get; set; }

    [JsonIgnore]
    public string? S3Uri => ModelDataSource?.S3DataSource?.S3Uri;

    [JsonIgnore]
    public int? CustomModelUnitsPerCopy => CustomModelUnits?.CustomModelUnitsPerModelCopy;
}

public sealed class CreateModelImportJobRequest
{
    public string JobName { get; set; } = "";
    public string ImportedModelName { get; set; } = "";
    public string RoleArn { get; set; } = "";
    public ModelDataSource ModelDataSource { get; set; } = new ModelDataSource();
    public List<Tag>? JobTags { get; set; }
    public List<Tag>? ImportedModelTags { get; set; }
    public string? ClientRequestToken { get; set; }
    public VpcConfig? VpcConfig { get; set; }
    public string? ImportedModelKmsKeyId { get; set; }
}

/// <summary>The filters both import listings share.</summary>
public abstract class ListRequest
{
    [JsonConverter(typeof(AwsTimestampConverter))]
    public DateTime? CreationTimeAfter { get; set; }
    [JsonConverter(typeof(AwsTimestampConverter))]
    public DateTime? CreationTimeBefore { get; set; }
    public string? NameContains { get; set; }
    public int? MaxResults { get; set; }
    public string? SortBy { get; set; }
    public string? SortOrder { get; set; }
}

public sealed class ListModelImportJobsRequest : ListRequest
{
    public string? StatusEquals { get; set; }
}

public sealed class ListImportedModelsRequest : ListRequest
{
}

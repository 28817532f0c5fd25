using BedrockImport.Engine.Invocation;

namespace BedrockImport;

/// <summary>The request body formats of Invoke-ImportedModel and Enter-ImportedModelChat (-Format).</summary>
public enum BodyFormat
{
    BedrockCompletion,
    OpenAICompletion,
    OpenAIChat,
}

/// <summary>The runtime API of Invoke-ImportedModel and Enter-ImportedModelChat (-Api); not given: InvokeModel for an
/// imported model, Converse for Bedrock's own models and inference profiles.</summary>
public enum InvocationApi
{
    InvokeModel,
    Converse,
}

/// <summary>How Invoke-ImportedModelEvaluation puts each item to a model (-PromptStyle): one text (the field report's
/// prompt, for base models), or system/user/assistant messages with the examples as earlier turns (instruct models:
/// the model's chat template, or Converse).</summary>
public enum EvaluationPromptStyle
{
    Text,
    Messages,
}

/// <summary>The status Get-BedrockImportJob lists (-Status).</summary>
public enum ImportJobStatus
{
    InProgress,
    Completed,
    Failed,
}

/// <summary>The order of Get-BedrockImportJob and Get-ImportedModel by creation time (-SortOrder).</summary>
public enum SortOrder
{
    Ascending,
    Descending,
}

/// <summary>The tensor precisions New-BedrockSampleModel writes: the safetensors dtypes Custom Model Import accepts (-Dtype).</summary>
public enum SampleModelDtype
{
    BF16,
    F16,
    F32,
}

/// <summary>The Custom Model Import quota of Request-BedrockImportQuotaIncrease (-Quota).</summary>
public enum ImportQuotaName
{
    ImportedModels,
    ConcurrentImportJobs,
}

/// <summary>The parameter values as the engine and the service spell them: the one place they are mapped.</summary>
internal static class ParameterValues
{
    public static InvocationFormat? ToEngine(this BodyFormat? format) => format switch
    {
        null => null,
        BodyFormat.BedrockCompletion => InvocationFormat.BedrockCompletion,
        BodyFormat.OpenAICompletion => InvocationFormat.OpenAICompletion,
        BodyFormat.OpenAIChat => InvocationFormat.OpenAIChat,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public static RuntimeApi? ToEngine(this InvocationApi? api) => api switch
    {
        null => null,
        InvocationApi.InvokeModel => RuntimeApi.InvokeModel,
        InvocationApi.Converse => RuntimeApi.Converse,
        _ => throw new ArgumentOutOfRangeException(nameof(api), api, null),
    };

    public static Engine.Invocation.Evaluation.PromptStyle ToEngine(this EvaluationPromptStyle style) => style switch
    {
        EvaluationPromptStyle.Text => Engine.Invocation.Evaluation.PromptStyle.Text,
        EvaluationPromptStyle.Messages => Engine.Invocation.Evaluation.PromptStyle.Messages,
        _ => throw new ArgumentOutOfRangeException(nameof(style), style, null),
    };

    /// <summary>The statusEquals of ListModelImportJobs.</summary>
    public static string? ToService(this ImportJobStatus? status) => status switch
    {
        null => null,
        ImportJobStatus.InProgress => "InProgress",
        ImportJobStatus.Completed => "Completed",
        ImportJobStatus.Failed => "Failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>The sortOrder of the list operations.</summary>
    public static string? ToService(this SortOrder? order) => order switch
    {
        null => null,
        SortOrder.Ascending => "Ascending",
        SortOrder.Descending => "Descending",
        _ => throw new ArgumentOutOfRangeException(nameof(order), order, null),
    };

    public static Engine.Quotas.ImportQuotaKind ToEngine(this ImportQuotaName quota) => quota switch
    {
        ImportQuotaName.ImportedModels => Engine.Quotas.ImportQuotaKind.ImportedModels,
        ImportQuotaName.ConcurrentImportJobs => Engine.Quotas.ImportQuotaKind.ConcurrentImportJobs,
        _ => throw new ArgumentOutOfRangeException(nameof(quota), quota, null),
    };

    /// <summary>The dtype as a safetensors header names it.</summary>
    public static string ToSafetensorsName(this SampleModelDtype dtype) => dtype switch
    {
        SampleModelDtype.BF16 => "BF16",
        SampleModelDtype.F16 => "F16",
        SampleModelDtype.F32 => "F32",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };
}

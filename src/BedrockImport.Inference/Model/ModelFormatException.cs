namespace BedrockImport.Inference.Model;

/// <summary>A model folder's files (safetensors, index, config) do not describe a model this engine can read.
/// The message names the file and what is wrong with it; it never carries tensor data.</summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string message) : base(message)
    {
    }
}

/// <summary>The model's architecture is not one this engine executes; Reason reads "not supported: model_type".</summary>
public sealed class ModelNotSupportedException : Exception
{
    public ModelNotSupportedException(string modelType, string? detail = null)
        : base("not supported: " + modelType + (detail is null ? string.Empty : " (" + detail + ")"))
    {
        ModelType = modelType;
    }

    public string ModelType { get; }
}

using BedrockImport.Engine.Sources;

namespace BedrockImport.Engine.ModelPackage;

public enum ModelPackageSeverity
{
    Warning,
    Error,
}

/// <summary>One finding of the validator. Code is stable (ModelPackageProblemCodes); Message says what to do.</summary>
public sealed class ModelPackageProblem
{
    public ModelPackageProblem(ModelPackageSeverity severity, string code, string message, string? file = null)
    {
        Severity = severity;
        Code = code;
        Message = message;
        File = file;
    }

    public ModelPackageSeverity Severity { get; }
    public string Code { get; }
    public string Message { get; }
    /// <summary>The file the problem is about, relative to the folder, or null for the folder as a whole.</summary>
    public string? File { get; }

    public override string ToString() => Severity + " " + Code + (File == null ? "" : " (" + File + ")") + ": " + Message;
}

/// <summary>What the validator found in a model folder. Passed means no Error problems (warnings allowed).</summary>
public sealed class ModelPackageReport
{
    public string Location { get; set; } = "";
    public bool Passed => !Problems.Any(p => p.Severity == ModelPackageSeverity.Error);
    /// <summary>First entry of config.json "architectures", e.g. LlamaForCausalLM.</summary>
    public string? Architecture { get; set; }
    public string? ModelType { get; set; }
    /// <summary>Supported family, e.g. "Mistral"; null when unsupported or unknown.</summary>
    public string? Family { get; set; }
    public bool Multimodal { get; set; }
    /// <summary>Sum of the element counts of every tensor in the readable safetensors files.</summary>
    public long ParameterCount { get; set; }
    /// <summary>The safetensors dtype holding most parameters (e.g. BF16); config.json's dtype when no header was readable.</summary>
    public string? Dtype { get; set; }
    /// <summary>config.json "dtype" (or the older "torch_dtype") as a safetensors name, e.g. BF16.</summary>
    public string? ConfigDtype { get; set; }
    /// <summary>Sum of the sizes of every file in the folder (what an import job reads).</summary>
    public long TotalBytes { get; set; }
    public long? MaxPositionEmbeddings { get; set; }
    /// <summary>A chat template is present (chat_template.jinja, or "chat_template" in tokenizer_config.json): the model is instruct-capable.</summary>
    public bool ChatTemplate { get; set; }
    public IReadOnlyList<ModelSourceFile> Files { get; set; } = new List<ModelSourceFile>();
    public List<ModelPackageProblem> Problems { get; } = new List<ModelPackageProblem>();

    public IEnumerable<ModelPackageProblem> Errors => Problems.Where(p => p.Severity == ModelPackageSeverity.Error);
    public IEnumerable<ModelPackageProblem> Warnings => Problems.Where(p => p.Severity == ModelPackageSeverity.Warning);

    internal void Error(string code, string message, string? file = null) =>
        Problems.Add(new ModelPackageProblem(ModelPackageSeverity.Error, code, message, file));

    internal void Warning(string code, string message, string? file = null) =>
        Problems.Add(new ModelPackageProblem(ModelPackageSeverity.Warning, code, message, file));
}

/// <summary>Stable codes of validator problems (safe to match on in scripts and tests).</summary>
public static class ModelPackageProblemCodes
{
    public const string ConfigMissing = "ConfigMissing";
    public const string ConfigInvalidJson = "ConfigInvalidJson";
    public const string ConfigNoArchitecture = "ConfigNoArchitecture";
    /// <summary>A warning: config.json has model_type but no "architectures" list.</summary>
    public const string ConfigArchitecturesMissing = "ConfigArchitecturesMissing";
    public const string ArchitectureUnsupported = "ArchitectureUnsupported";
    public const string ContextTooLong = "ContextTooLong";
    public const string NoSafetensors = "NoSafetensors";
    public const string SafetensorsTruncated = "SafetensorsTruncated";
    public const string SafetensorsHeaderTooLarge = "SafetensorsHeaderTooLarge";
    public const string SafetensorsHeaderInvalid = "SafetensorsHeaderInvalid";
    public const string SafetensorsUnknownDtype = "SafetensorsUnknownDtype";
    public const string SafetensorsTensorSizeMismatch = "SafetensorsTensorSizeMismatch";
    public const string SafetensorsOffsetsOverlap = "SafetensorsOffsetsOverlap";
    public const string SafetensorsOffsetsNotContiguous = "SafetensorsOffsetsNotContiguous";
    public const string SafetensorsFileSizeMismatch = "SafetensorsFileSizeMismatch";
    public const string DtypeNotSupported = "DtypeNotSupported";
    public const string IndexMissing = "IndexMissing";
    public const string IndexInvalid = "IndexInvalid";
    public const string IndexMissingShard = "IndexMissingShard";
    public const string TensorInTwoShards = "TensorInTwoShards";
    public const string TensorNotInIndex = "TensorNotInIndex";
    public const string IndexTensorNotInShard = "IndexTensorNotInShard";
    public const string IndexTotalSizeMismatch = "IndexTotalSizeMismatch";
    public const string TokenizerMissing = "TokenizerMissing";
    public const string TokenizerConfigMissing = "TokenizerConfigMissing";
    public const string TokenizerConfigInvalidJson = "TokenizerConfigInvalidJson";
    public const string ChatTemplateMissing = "ChatTemplateMissing";
    public const string TotalSizeOverLimit = "TotalSizeOverLimit";
}

using System.Management.Automation;

namespace BedrockImport.Infrastructure;

/// <summary>Base of the cmdlets that talk to one imported model (Invoke-ImportedModel, Enter-ImportedModelChat):
/// the model and the stop sequences held on our side.</summary>
public abstract class ImportedModelCmdlet : RuntimeCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ModelArn", "ImportedModelArn", "ModelName")]
    [ArgumentCompleter(typeof(ImportedModelNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ModelId { get; set; } = "";

    [Parameter]
    [Alias("Stop")]
    public string[]? StopSequence { get; set; }
}

using System.Management.Automation;

namespace BedrockImport.Infrastructure;

/// <summary>Base of the cmdlets that talk to one imported model (Invoke-ImportedModel, Enter-ImportedModelChat):
/// the model, the stop sequences held on our side, and how long a cold model is waited for.</summary>
public abstract class ImportedModelCmdlet : AwsCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ModelArn", "ImportedModelArn", "ModelName")]
    [ArgumentCompleter(typeof(ImportedModelNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ModelId { get; set; } = "";

    [Parameter]
    [Alias("Stop")]
    public string[]? StopSequence { get; set; }

    /// <summary>Seconds to keep retrying while a cold model loads (ModelNotReadyException).</summary>
    [Parameter]
    [Alias("MaxColdStartWaitSec")]
    [ValidateRange(0, 86400)]
    public int MaxColdStartWait { get; set; } = 600;

    /// <summary>InvokeModel or Converse; not given: InvokeModel for an imported model, Converse for anything else.</summary>
    [Parameter]
    [EnumName(typeof(InvocationApi)), ValidateEnumName]
    public InvocationApi? Api { get; set; }
}

using System.Management.Automation;
using BedrockImport.Engine.Hub;
using BedrockImport.Engine.Sources;

namespace BedrockImport.Infrastructure;

/// <summary>Base of the cmdlets that read a model from a local folder (-Path) or a Hugging Face Hub repository
/// (-HuggingFaceModel, -Revision, -HuggingFaceEndpoint): Copy- and Test-BedrockModelSource declare these once here.</summary>
public abstract class ModelFolderCmdlet : ModelSourceCmdlet
{
    protected const string PathSet = "Path";
    protected const string HubSet = "HuggingFace";

    [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>A Hub model, "org/name" or https://huggingface.co/org/name[/tree/revision].</summary>
    [Parameter(ParameterSetName = HubSet, Mandatory = true)]
    [Alias("HFModel")]
    [ValidateNotNullOrEmpty]
    public string HuggingFaceModel { get; set; } = "";

    /// <summary>Branch, tag or commit sha (default: main); pinned to its commit before the first byte is read.</summary>
    [Parameter(ParameterSetName = HubSet)]
    [ValidateNotNullOrEmpty]
    public string? Revision { get; set; }

    /// <summary>The Hub to read from; default HF_ENDPOINT, else https://huggingface.co.</summary>
    [Parameter(ParameterSetName = HubSet)]
    [ValidateNotNullOrEmpty]
    public string? HuggingFaceEndpoint { get; set; }

    /// <summary>The file-system folder -Path names (resolved from the PowerShell path).</summary>
    protected string FolderPath => GetUnresolvedProviderPathFromPSPath(Path);

    /// <summary>A client of -HuggingFaceEndpoint's Hub and the repository -HuggingFaceModel names there, at -Revision.
    /// The caller disposes the client.</summary>
    protected (HubClient Client, HubRepositorySource Source) OpenHubSource()
    {
        var client = HubCmdletSupport.CreateClient(HuggingFaceEndpoint, Log);
        WriteVerbose($"Hugging Face Hub {client.Endpoint}, token: {client.TokenSource}.");
        return (client, ModelSourceFactory.FromHuggingFace(client, HuggingFaceModel, Revision));
    }
}

using System.Management.Automation;
using BedrockImport.Engine.LocalEndpoint;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Starts the offline AWS (S3, Bedrock, Bedrock Runtime, Hugging Face Hub mirror) shipped in the module folder.</summary>
[Cmdlet(VerbsLifecycle.Start, "BedrockLocalEndpoint", SupportsShouldProcess = true)]
[OutputType(typeof(LocalEndpointInfo))]
public sealed class StartBedrockLocalEndpointCommand : AsyncCmdlet
{
    /// <summary>Loopback port; 0 picks a free one.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>Folder for the endpoint's state (buckets, jobs, models); a new temporary folder when omitted.</summary>
    [Parameter]
    public string? DataPath { get; set; }

    /// <summary>JSON knobs file (latency, fault rates, import duration, ...).</summary>
    [Parameter]
    public string? ConfigPath { get; set; }

    [Parameter]
    [ValidateRange(1, 600)]
    public int StartTimeoutSec { get; set; } = 60;

    /// <summary>Points every BedrockImport cmdlet at the endpoint through $PSDefaultParameterValues (global scope).</summary>
    [Parameter]
    public SwitchParameter UseAsDefault { get; set; }

    protected override async Task ProcessRecordAsync()
    {
        var dataPath = DataPath == null
            ? Path.Combine(Path.GetTempPath(), "bedrock-local-" + Guid.NewGuid().ToString("N").Substring(0, 8))
            : GetUnresolvedProviderPathFromPSPath(DataPath);
        var configPath = ConfigPath == null ? null : GetUnresolvedProviderPathFromPSPath(ConfigPath);
        if (!await ShouldProcessAsync(dataPath, "Start the local Bedrock endpoint").ConfigureAwait(false))
        {
            return;
        }

        var endpointAssembly = ModuleFolder.LocalEndpointAssembly;
        var info = await LocalEndpointProcess.StartAsync(endpointAssembly, Port, dataPath, configPath,
            TimeSpan.FromSeconds(StartTimeoutSec), CancellationToken).ConfigureAwait(false);
        WriteVerbose($"Local endpoint listening on {info.EndpointUrl} (process {info.ProcessId}, data '{info.DataPath}').");
        if (UseAsDefault)
        {
            OnPipelineThread(() => SetDefaults(info));
        }

        WriteObject(info);
    }

    private void SetDefaults(LocalEndpointInfo info)
    {
        var defaults = SessionState.PSVariable.GetValue("global:PSDefaultParameterValues") as DefaultParameterDictionary;
        if (defaults == null)
        {
            defaults = new DefaultParameterDictionary();
            SessionState.PSVariable.Set("global:PSDefaultParameterValues", defaults);
        }

        foreach (var command in ModuleFolder.AwsCmdletNames())
        {
            defaults[command + ":EndpointUrl"] = info.EndpointUrl;
            defaults[command + ":Region"] = info.Region;
            defaults[command + ":AccessKey"] = info.AccessKey;
            defaults[command + ":SecretKey"] = info.SecretKey;
        }
    }

    protected override ErrorRecord? ToErrorRecord(Exception exception)
        => ErrorRecords.From(exception, DataPath, text => text);

    protected override bool IsTerminating(Exception exception) => true;
}

using System.Management.Automation;
using BedrockImport.Engine.LocalEndpoint;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Stops local endpoints started by Start-BedrockLocalEndpoint (all of this session's when none is given).</summary>
[Cmdlet(VerbsLifecycle.Stop, "BedrockLocalEndpoint", SupportsShouldProcess = true)]
public sealed class StopBedrockLocalEndpointCommand : AsyncCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public int[]? ProcessId { get; set; }

    protected override async Task ProcessRecordAsync()
    {
        foreach (var id in ProcessId ?? LocalEndpointProcess.StartedProcessIds().ToArray())
        {
            if (await ShouldProcessAsync($"local endpoint (process {id})", "Stop").ConfigureAwait(false))
            {
                var stopped = LocalEndpointProcess.Stop(id);
                WriteVerbose(stopped ? $"Stopped the local endpoint (process {id})." : $"The local endpoint (process {id}) was not running.");
            }
        }
    }
}

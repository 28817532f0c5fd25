using System.Management.Automation;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Invocation;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Deletes imported models (DeleteImportedModel). An imported model bills for storage until it is deleted.</summary>
[Cmdlet(VerbsCommon.Remove, "ImportedModel", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveImportedModelCommand : AwsCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ModelArn", "ModelName", "ImportedModelArn", "Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ImportedModelNameCompleter))]
    public string[] ModelIdentifier { get; set; } = Array.Empty<string>();

    /// <summary>Skips the confirmation (-WhatIf still wins).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override async Task ProcessRecordAsync()
    {
        BedrockControlClient? client = null;
        try
        {
            foreach (var identifier in ModelIdentifier)
            {
                var whatIf = MyInvocation.BoundParameters.ContainsKey("WhatIf");
                var confirmed = (Force && !whatIf) || await ShouldProcessAsync(identifier, "Delete imported model").ConfigureAwait(false);
                if (!confirmed)
                {
                    continue;
                }

                var session = ResolveSession();
                client ??= new BedrockControlClient(session, log: Log);
                try
                {
                    await client.DeleteImportedModelAsync(identifier, CancellationToken).ConfigureAwait(false);
                    WriteVerbose($"Deleted imported model '{identifier}'.");
                }
                catch (Exception exception) when (!(exception is OperationCanceledException))
                {
                    WriteError(ErrorRecords.From(exception, identifier, Redact));
                }
                finally
                {
                    // Deleted, or not there to delete: either way the name must not stand for that model any more
                    // (a new import may take it). Forgetting a model that is still there costs one lookup later.
                    ImportedModelInvoker.ForgetModel(session, identifier);
                    ImportedModelNameCompleter.ForgetNames();
                }
            }
        }
        finally
        {
            client?.Dispose();
        }
    }
}

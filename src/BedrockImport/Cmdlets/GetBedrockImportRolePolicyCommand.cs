using System.Management.Automation;
using BedrockImport.Engine.Import;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Writes the trust and permissions policies of the service role a model import job assumes, as JSON for
/// AWS.Tools' New-IAMRole and Write-IAMRolePolicy or the console. Calls no service: the region is resolved the
/// AWS.Tools way (no credentials needed) because the trust policy names it.</summary>
[Cmdlet(VerbsCommon.Get, "BedrockImportRolePolicy")]
[OutputType(typeof(ImportRolePolicy))]
public sealed class GetBedrockImportRolePolicyCommand : AwsCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BucketName", "S3Uri")]
    [ValidateNotNullOrEmpty]
    public string Bucket { get; set; } = "";

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("KeyPrefix")]
    public string? Prefix { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? KmsKeyId { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string AccountId { get; set; } = "";

    protected override Task ProcessRecordAsync()
    {
        var policy = ImportRolePolicyBuilder.Build(new ImportRolePolicyRequest
        {
            Bucket = Bucket,
            Prefix = Prefix,
            KmsKeyId = KmsKeyId,
            AccountId = AccountId,
            Region = ResolveRegion(),
        });
        WriteObject(policy);
        return Task.CompletedTask;
    }
}

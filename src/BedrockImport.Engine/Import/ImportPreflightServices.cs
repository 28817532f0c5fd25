using Amazon.S3.Model;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Quotas;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;
using Tag = BedrockImport.Engine.Bedrock.Tag;

namespace BedrockImport.Engine.Import;

/// <summary>The calls ImportPreflight makes (tests pass fakes). Errors are the engine's exceptions (AwsServiceException).</summary>
public interface IImportPreflightServices
{
    /// <summary>The bucket's region: HeadBucket's x-amz-bucket-region.</summary>
    Task<string> GetBucketRegionAsync(string bucket, CancellationToken cancellationToken);

    /// <summary>The objects under an S3 folder, as the validator reads them (the caller does not dispose it).</summary>
    IModelSource OpenFolder(S3Uri folder);

    /// <summary>Imported models whose name contains the text (every page).</summary>
    Task<IReadOnlyList<ImportedModel>> ListImportedModelsAsync(string nameContains, CancellationToken cancellationToken);

    /// <summary>Import jobs InProgress (every page).</summary>
    Task<IReadOnlyList<ModelImportJob>> ListInProgressJobsAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<Tag>> ListTagsForResourceAsync(string resourceArn, CancellationToken cancellationToken);

    Task<ImportedModel> GetImportedModelAsync(string modelArn, CancellationToken cancellationToken);

    Task<ModelImportJob> GetModelImportJobAsync(string jobArn, CancellationToken cancellationToken);

    /// <summary>The two import quotas with their usage (BedrockImportQuotas).</summary>
    Task<IReadOnlyList<ImportQuota>> GetImportQuotasAsync(CancellationToken cancellationToken);
}

/// <summary>The preflight's calls on AWS: S3 through the engine's one S3 client path, Bedrock through BedrockControlClient.</summary>
public sealed class AwsImportPreflightServices : IImportPreflightServices, IDisposable
{
    private readonly AwsSession _session;
    private readonly IEngineLog _log;
    private readonly S3Calls _s3;
    private readonly BedrockControlClient _bedrock;
    private readonly List<IDisposable> _sources = new List<IDisposable>();
    private ServiceQuotasClient? _serviceQuotas;
    private BedrockImportQuotas? _quotas;

    public AwsImportPreflightServices(AwsSession session, IEngineLog log)
    {
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _log = log ?? NullEngineLog.Instance;
        _s3 = new S3Calls(session, new RetryOptions(), _log);
        _bedrock = new BedrockControlClient(session, log: _log);
    }

    public async Task<string> GetBucketRegionAsync(string bucket, CancellationToken cancellationToken)
    {
        try
        {
            var head = await _s3.RunAsync("HeadBucket", "s3://" + bucket,
                (client, token) => client.HeadBucketAsync(new HeadBucketRequest { BucketName = bucket }, token), cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(head.BucketRegion))
            {
                return head.BucketRegion;
            }
        }
        catch (AwsServiceException error) when (error.StatusCode == 301 || error.StatusCode == 400)
        {
            // The bucket answered from another region without the SDK reading its region header: GetBucketLocation answers
            // from any region.
        }

        var location = await _s3.RunAsync("GetBucketLocation", "s3://" + bucket,
            (client, token) => client.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = bucket }, token), cancellationToken).ConfigureAwait(false);
        var constraint = location.Location?.Value;
        return string.IsNullOrEmpty(constraint) ? "us-east-1" : constraint == "EU" ? "eu-west-1" : constraint!;
    }

    public IModelSource OpenFolder(S3Uri folder)
    {
        var source = new S3PrefixSource(_session, folder, _log);
        _sources.Add(source);
        return source;
    }

    public Task<IReadOnlyList<ImportedModel>> ListImportedModelsAsync(string nameContains, CancellationToken cancellationToken)
        => _bedrock.ListImportedModelsAsync(new ListImportedModelsRequest { NameContains = nameContains }, cancellationToken);

    public Task<IReadOnlyList<ModelImportJob>> ListInProgressJobsAsync(CancellationToken cancellationToken)
        => _bedrock.ListModelImportJobsAsync(new ListModelImportJobsRequest { StatusEquals = "InProgress" }, cancellationToken);

    public Task<IReadOnlyList<Tag>> ListTagsForResourceAsync(string resourceArn, CancellationToken cancellationToken)
        => _bedrock.ListTagsForResourceAsync(resourceArn, cancellationToken);

    public Task<ImportedModel> GetImportedModelAsync(string modelArn, CancellationToken cancellationToken)
        => _bedrock.GetImportedModelAsync(modelArn, cancellationToken);

    public Task<ModelImportJob> GetModelImportJobAsync(string jobArn, CancellationToken cancellationToken)
        => _bedrock.GetModelImportJobAsync(jobArn, cancellationToken);

    public Task<IReadOnlyList<ImportQuota>> GetImportQuotasAsync(CancellationToken cancellationToken)
    {
        // The quotas share this preflight's Bedrock client (the usage is counted with ListImportedModels and ListModelImportJobs).
        _serviceQuotas ??= new ServiceQuotasClient(_session, new RetryOptions(), _log);
        _quotas ??= new BedrockImportQuotas(_serviceQuotas, _bedrock, _session.Region);
        return _quotas.GetAsync(cancellationToken);
    }

    public void Dispose()
    {
        foreach (var source in _sources)
        {
            source.Dispose();
        }

        _s3.Dispose();
        _bedrock.Dispose();
        _quotas?.Dispose();
        _serviceQuotas?.Dispose();
    }
}

using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Bedrock;

/// <summary>Bedrock control plane (host bedrock.&lt;region&gt;, signing name bedrock), the six import operations and ListTagsForResource.</summary>
public sealed class BedrockControlClient : RestJsonClient
{
    public BedrockControlClient(AwsSession session, RetryOptions? retry = null, IEngineLog? log = null)
        : this(session, new RetryPolicy(retry, log), log, null)
    {
    }

    /// <param name="innerHandler">Transport under the SigV4 signer (tests pass a fake); null for the real one.</param>
    internal BedrockControlClient(AwsSession session, RetryPolicy retry, IEngineLog? log, HttpMessageHandler? innerHandler)
        : base(session, AwsService.Bedrock, retry, log, innerHandler)
    {
    }

    /// <summary>A missing ClientRequestToken is filled with a new GUID (once, so retries are idempotent).</summary>
    /// <returns>The new job's ARN.</returns>
    public async Task<string> CreateModelImportJobAsync(CreateModelImportJobRequest request, CancellationToken cancellationToken)
    {
        if (request == null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        var wire = new CreateModelImportJobRequest
        {
            JobName = request.JobName,
            ImportedModelName = request.ImportedModelName,
            RoleArn = request.RoleArn,
            ModelDataSource = request.ModelDataSource,
            JobTags = request.JobTags,
            ImportedModelTags = request.ImportedModelTags,
            ClientRequestToken = string.IsNullOrEmpty(request.ClientRequestToken) ? Guid.NewGuid().ToString() : request.ClientRequestToken,
            VpcConfig = request.VpcConfig,
            ImportedModelKmsKeyId = request.ImportedModelKmsKeyId,
        };
        var response = await SendAsync<CreateModelImportJobResponse>("CreateModelImportJob", HttpMethod.Post, "/model-import-jobs", null, wire, cancellationToken)
            .ConfigureAwait(false);
        if (string.IsNullOrEmpty(response.JobArn))
        {
            throw new UnexpectedResponseException("CreateModelImportJob answered without a jobArn.", 201, null);
        }

        return response.JobArn!;
    }

    /// <param name="jobIdentifier">Job ARN or job name.</param>
    public Task<ModelImportJob> GetModelImportJobAsync(string jobIdentifier, CancellationToken cancellationToken)
        => SendAsync<ModelImportJob>("GetModelImportJob", HttpMethod.Get, "/model-import-jobs/" + Label(jobIdentifier, nameof(jobIdentifier)), null, null, cancellationToken);

    /// <summary>Follows every page.</summary>
    public Task<IReadOnlyList<ModelImportJob>> ListModelImportJobsAsync(ListModelImportJobsRequest request, CancellationToken cancellationToken)
    {
        request ??= new ListModelImportJobsRequest();
        var query = ListQuery(request).Add("statusEquals", request.StatusEquals);
        return ListAllAsync<ListModelImportJobsResponse, ModelImportJob>("ListModelImportJobs", "/model-import-jobs", query,
            page => page.ModelImportJobSummaries, page => page.NextToken, cancellationToken);
    }

    /// <param name="modelIdentifier">Model ARN or model name.</param>
    public Task<ImportedModel> GetImportedModelAsync(string modelIdentifier, CancellationToken cancellationToken)
        => SendAsync<ImportedModel>("GetImportedModel", HttpMethod.Get, "/imported-models/" + Label(modelIdentifier, nameof(modelIdentifier)), null, null, cancellationToken);

    /// <summary>Follows every page.</summary>
    public Task<IReadOnlyList<ImportedModel>> ListImportedModelsAsync(ListImportedModelsRequest request, CancellationToken cancellationToken)
    {
        request ??= new ListImportedModelsRequest();
        return ListAllAsync<ListImportedModelsResponse, ImportedModel>("ListImportedModels", "/imported-models", ListQuery(request),
            page => page.ModelSummaries, page => page.NextToken, cancellationToken);
    }

    public Task DeleteImportedModelAsync(string modelIdentifier, CancellationToken cancellationToken)
        => SendAsync<NoContent>("DeleteImportedModel", HttpMethod.Delete, "/imported-models/" + Label(modelIdentifier, nameof(modelIdentifier)), null, null, cancellationToken);

    /// <summary>The tags of a Bedrock resource (an import job or an imported model, by ARN).</summary>
    public async Task<IReadOnlyList<Tag>> ListTagsForResourceAsync(string resourceArn, CancellationToken cancellationToken)
    {
        var response = await SendAsync<ListTagsForResourceResponse>("ListTagsForResource", HttpMethod.Post, "/listTagsForResource", null,
            new ListTagsForResourceRequest { ResourceARN = resourceArn }, cancellationToken).ConfigureAwait(false);
        return response.Tags ?? new List<Tag>();
    }

    private static Query ListQuery(ListRequest request) => new Query()
        .Add("creationTimeAfter", request.CreationTimeAfter)
        .Add("creationTimeBefore", request.CreationTimeBefore)
        .Add("nameContains", request.NameContains)
        .Add("maxResults", request.MaxResults)
        .Add("sortBy", request.SortBy)
        .Add("sortOrder", request.SortOrder);

    internal sealed class CreateModelImportJobResponse
    {
        public string? JobArn { get; set; }
    }

    internal sealed class ListModelImportJobsResponse
    {
        public string? NextToken { get; set; }
        public List<ModelImportJob>? ModelImportJobSummaries { get; set; }
    }

    internal sealed class ListTagsForResourceRequest
    {
        public string ResourceARN { get; set; } = "";
    }

    internal sealed class ListTagsForResourceResponse
    {
        public List<Tag>? Tags { get; set; }
    }

    internal sealed class ListImportedModelsResponse
    {
        public string? NextToken { get; set; }
        public List<ImportedModel>? ModelSummaries { get; set; }
    }
}

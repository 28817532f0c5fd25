using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Errors;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Import;

/// <summary>What Start-BedrockModelImport is about to import.</summary>
public sealed class ImportPreflightRequest
{
    public ImportPreflightRequest(S3Uri source, string jobRegion, string modelName)
    {
        Source = source ?? throw new ArgumentNullException(nameof(source));
        JobRegion = jobRegion ?? throw new ArgumentNullException(nameof(jobRegion));
        ModelName = modelName ?? throw new ArgumentNullException(nameof(modelName));
    }

    public S3Uri Source { get; }

    /// <summary>The region the job will be created in.</summary>
    public string JobRegion { get; }

    public string ModelName { get; }

    /// <summary>The Hugging Face commit the prefix was copied from (Copy-BedrockModelSource -HuggingFaceModel), if known.</summary>
    public string? HubCommit { get; set; }

    /// <summary>False (-SkipPreflight): no check that stops the import; the identity is still read and the reuse lookup still runs.</summary>
    public bool RunChecks { get; set; } = true;

    /// <summary>False (-Force): no lookup of an existing model or a running job.</summary>
    public bool LookForExisting { get; set; } = true;
}

/// <summary>What the preflight found. At most one of ExistingModel and RunningJob is set.</summary>
public sealed class ImportPreflightResult
{
    /// <summary>The source's identity (ImportSourceIdentity), or null when it could not be read (a warning said why).</summary>
    public string? SourceIdentity { get; internal set; }

    /// <summary>The imported model of this name that was made from this source.</summary>
    public ImportedModel? ExistingModel { get; internal set; }

    /// <summary>The InProgress job that imports this source under this name.</summary>
    public ModelImportJob? RunningJob { get; internal set; }

    /// <summary>The validator's report of the prefix, when it ran.</summary>
    public ModelPackageReport? Report { get; internal set; }
}

/// <summary>A preflight check that stops the import before anything is created: its id names the cause.</summary>
public sealed class ImportPreflightException : Exception, IEngineError
{
    public ImportPreflightException(string errorId, ErrorKind kind, string message, object? detail = null) : base(message)
    {
        ErrorId = errorId;
        Kind = kind;
        Detail = detail;
    }

    public string ErrorId { get; }

    public ErrorKind Kind { get; }

    /// <summary>What the check found (the ModelPackageReport of an invalid prefix), for the error record's target.</summary>
    public object? Detail { get; }
}

/// <summary>The checks Start-BedrockModelImport runs before it creates a job, in this order:
/// <list type="number">
/// <item>the bucket's region (HeadBucket's x-amz-bucket-region) is the job's region: else BucketInOtherRegion;</item>
/// <item>the prefix holds objects (else ModelSourceEmpty) that pass the same validator as Test-BedrockModelSource -S3Uri,
/// headers only (else ModelSourceInvalid) — run every time, also after Copy-BedrockModelSource, whose result does not say it
/// validated (-SkipValidation) and which costs a few small ranged reads; a missing bucket is ModelSourceBucketNotFound;</item>
/// <item>the source's identity (ImportSourceIdentity: the Hub commit, else a digest of the listed ETags);</item>
/// <item>reuse: an imported model of the same name carrying that identity tag, else an InProgress job for that name with it;</item>
/// <item>quotas: <see cref="CheckQuotasAsync"/>, the place for the imported-models and concurrent-jobs checks (and -Queue).</item>
/// </list>
/// An access-denied answer while checking is a warning, never a failure: that check is skipped.</summary>
public sealed class ImportPreflight
{
    private readonly IImportPreflightServices _services;
    private readonly IEngineLog _log;

    public ImportPreflight(IImportPreflightServices services, IEngineLog? log = null)
    {
        _services = services ?? throw new ArgumentNullException(nameof(services));
        _log = log ?? NullEngineLog.Instance;
    }

    public async Task<ImportPreflightResult> RunAsync(ImportPreflightRequest request, CancellationToken cancellationToken)
    {
        if (request == null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        var result = new ImportPreflightResult();
        var folder = request.Source;
        var location = "s3://" + folder.Bucket + "/" + folder.FolderPrefix;
        if (request.RunChecks && !await CheckBucketRegionAsync(request, cancellationToken).ConfigureAwait(false))
        {
            return result;
        }

        var source = _services.OpenFolder(folder);
        IReadOnlyList<ModelSourceFile>? files = null;
        try
        {
            files = await source.ListFilesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AwsServiceException error) when (IsDenied(error))
        {
            _log.Warning($"Could not list {location} to check the model ({Describe(error)}); the source was not checked, and the import is neither tagged with its source nor reused. Grant s3:ListBucket on the bucket to have it checked.");
        }
        catch (AwsServiceException error) when (!request.RunChecks)
        {
            _log.Warning($"Could not list {location} ({Describe(error)}); the import is neither tagged with its source nor reused.");
        }
        catch (AwsServiceException error) when (error.ErrorCode == "NoSuchBucket")
        {
            throw new ImportPreflightException("ModelSourceBucketNotFound", ErrorKind.NotFound,
                $"The bucket '{folder.Bucket}' does not exist, so {location} holds no model to import. Copy the model there first: Copy-BedrockModelSource <folder> -Destination {location} -CreateBucket, or pass -S3Uri of the folder that holds it.");
        }

        if (files != null && request.RunChecks)
        {
            result.Report = await CheckSourceAsync(source, files, location, cancellationToken).ConfigureAwait(false);
        }

        if (request.HubCommit != null)
        {
            result.SourceIdentity = ImportSourceIdentity.FromHubCommit(request.HubCommit);
        }
        else if (files != null)
        {
            result.SourceIdentity = ImportSourceIdentity.FromObjects(files);
        }

        if (result.SourceIdentity != null && request.LookForExisting)
        {
            await FindExistingAsync(request, result, cancellationToken).ConfigureAwait(false);
        }

        if (request.RunChecks && result.ExistingModel == null && result.RunningJob == null)
        {
            await CheckQuotasAsync(request, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>QUOTA HOOK: the imported-models and concurrent-import-jobs quota checks (and -Queue's wait for a free slot) go
    /// here. It runs only when no model or job is reused (a reuse takes no quota) and not with -SkipPreflight; a check that
    /// stops throws ImportPreflightException with its own id, and an access-denied answer is a warning.</summary>
    private static Task CheckQuotasAsync(ImportPreflightRequest request, CancellationToken cancellationToken)
    {
        _ = request;
        _ = cancellationToken;
        return Task.CompletedTask;
    }

    /// <summary>False when the bucket could not be reached at all and the rest cannot be checked either.</summary>
    private async Task<bool> CheckBucketRegionAsync(ImportPreflightRequest request, CancellationToken cancellationToken)
    {
        var bucket = request.Source.Bucket;
        string region;
        try
        {
            region = await _services.GetBucketRegionAsync(bucket, cancellationToken).ConfigureAwait(false);
        }
        catch (AwsServiceException error) when (IsDenied(error))
        {
            _log.Warning($"Could not check the region of the bucket '{bucket}' ({Describe(error)}); an import job can read only a bucket in its own region ({request.JobRegion}). Grant s3:ListBucket on the bucket to have it checked.");
            return true;
        }
        catch (AwsServiceException error) when (error.StatusCode == 404 || error.ErrorCode == "NoSuchBucket")
        {
            var location = "s3://" + bucket + "/" + request.Source.FolderPrefix;
            throw new ImportPreflightException("ModelSourceBucketNotFound", ErrorKind.NotFound,
                $"The bucket '{bucket}' does not exist, so {location} holds no model to import. Copy the model there first: Copy-BedrockModelSource <folder> -Destination {location} -CreateBucket, or pass -S3Uri of the folder that holds it.");
        }

        if (!string.Equals(region, request.JobRegion, StringComparison.Ordinal))
        {
            throw new ImportPreflightException("BucketInOtherRegion", ErrorKind.Invalid,
                $"The bucket '{bucket}' is in {region}, but the import job would run in {request.JobRegion}: Custom Model Import reads the model only from a bucket in the job's own region. " +
                $"Run the import in {region} (Start-BedrockModelImport -Region {region}), or copy the model to a bucket in {request.JobRegion} (Copy-BedrockModelSource <folder or -HuggingFaceModel> -Destination s3://<bucket in {request.JobRegion}>/<prefix>/ -CreateBucket -Region {request.JobRegion}) and import from there.");
        }

        return true;
    }

    private static async Task<ModelPackageReport> CheckSourceAsync(IModelSource source, IReadOnlyList<ModelSourceFile> files, string location, CancellationToken cancellationToken)
    {
        if (files.Count == 0)
        {
            throw new ImportPreflightException("ModelSourceEmpty", ErrorKind.InvalidData,
                $"{location} holds no objects, so there is no model to import. Copy the model there first: Copy-BedrockModelSource <folder or -HuggingFaceModel> -Destination {location}, or pass -S3Uri of the folder that holds it.");
        }

        var report = await ModelPackageValidator.ValidateAsync(new ListedSource(source, files), null, cancellationToken).ConfigureAwait(false);
        if (!report.Passed)
        {
            var problems = string.Join(Environment.NewLine, report.Errors.Select(p => "  " + p));
            throw new ImportPreflightException("ModelSourceInvalid", ErrorKind.InvalidData,
                $"{location} would fail Custom Model Import; no job was created. Test-BedrockModelSource -S3Uri {location} lists the same findings; fix the folder and copy it again (Copy-BedrockModelSource), or use -SkipPreflight:{Environment.NewLine}{problems}",
                report);
        }

        return report;
    }

    private async Task FindExistingAsync(ImportPreflightRequest request, ImportPreflightResult result, CancellationToken cancellationToken)
    {
        var identity = result.SourceIdentity!;
        try
        {
            var models = await _services.ListImportedModelsAsync(request.ModelName, cancellationToken).ConfigureAwait(false);
            foreach (var model in models.Where(m => string.Equals(m.ModelName, request.ModelName, StringComparison.Ordinal) && m.ModelArn != null))
            {
                var recorded = ImportSourceIdentity.Of(await _services.ListTagsForResourceAsync(model.ModelArn!, cancellationToken).ConfigureAwait(false));
                if (string.Equals(recorded, identity, StringComparison.Ordinal))
                {
                    result.ExistingModel = await _services.GetImportedModelAsync(model.ModelArn!, cancellationToken).ConfigureAwait(false);
                    return;
                }

                _log.Verbose($"The imported model '{model.ModelName}' exists but was imported from {(recorded == null ? "a source that was not recorded" : "another source (" + recorded + ")")}; Bedrock refuses a second model of one name: remove it (Remove-ImportedModel {model.ModelName}) or choose another -ModelName.");
            }

            var jobs = await _services.ListInProgressJobsAsync(cancellationToken).ConfigureAwait(false);
            foreach (var job in jobs.Where(j => string.Equals(j.ImportedModelName, request.ModelName, StringComparison.Ordinal) && j.JobArn != null))
            {
                var recorded = ImportSourceIdentity.Of(await _services.ListTagsForResourceAsync(job.JobArn!, cancellationToken).ConfigureAwait(false));
                if (string.Equals(recorded, identity, StringComparison.Ordinal))
                {
                    result.RunningJob = await _services.GetModelImportJobAsync(job.JobArn!, cancellationToken).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (AwsServiceException error) when (IsDenied(error))
        {
            _log.Warning($"Could not look for an imported model or a running job made from this source ({Describe(error)}); importing anew. Grant bedrock:ListImportedModels, bedrock:ListModelImportJobs and bedrock:ListTagsForResource to have reruns reuse them.");
        }
    }

    private static bool IsDenied(AwsServiceException error) => error.Kind == ErrorKind.Denied || error.StatusCode == 403;

    private static string Describe(AwsServiceException error) => $"{error.ErrorCode}, HTTP {error.StatusCode}";

    /// <summary>The source with its listing already read, so the validator lists nothing twice.</summary>
    private sealed class ListedSource : IModelSource
    {
        private readonly IModelSource _inner;
        private readonly IReadOnlyList<ModelSourceFile> _files;

        public ListedSource(IModelSource inner, IReadOnlyList<ModelSourceFile> files)
        {
            _inner = inner;
            _files = files;
        }

        public string Location => _inner.Location;

        public bool IsLocal => _inner.IsLocal;

        public Task<IReadOnlyList<ModelSourceFile>> ListFilesAsync(CancellationToken cancellationToken) => Task.FromResult(_files);

        public Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
            => _inner.OpenRangeAsync(path, offset, length, cancellationToken);
    }
}

using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Errors;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Quotas;
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

    /// <summary>-Queue: when every concurrent-import-job slot is taken, wait for one to come free instead of stopping.</summary>
    public bool WaitForImportSlot { get; set; }

    /// <summary>How often the quota is read again while waiting for a slot.</summary>
    public TimeSpan ImportSlotPollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Called before each wait for a slot (the cmdlet shows it as progress).</summary>
    public Action<ImportSlotWait>? OnImportSlotWait { get; set; }
}

/// <summary>A wait for a free concurrent-import-job slot: the jobs holding them and how long it has waited.</summary>
public sealed class ImportSlotWait
{
    public ImportSlotWait(IReadOnlyList<ModelImportJob> runningJobs, double quota, TimeSpan waited)
    {
        RunningJobs = runningJobs;
        Quota = quota;
        Waited = waited;
    }

    public IReadOnlyList<ModelImportJob> RunningJobs { get; }
    public double Quota { get; }
    public TimeSpan Waited { get; }
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
/// <item>quotas: at the imported-models or concurrent-jobs limit the import stops (or with -Queue waits for a job slot), see <see cref="CheckQuotasAsync"/>.</item>
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

    /// <summary>The imported-models and concurrent-import-jobs quotas: at either limit the import job would fail, so the
    /// import stops here with the figures and the command that fixes it (ImportedModelQuotaReached,
    /// ConcurrentImportJobQuotaReached), or with -Queue waits for a job slot to come free. Not reading the quotas (no
    /// servicequotas permission, a region without them) is a warning. Runs only when nothing is reused (a reuse takes no
    /// quota) and not with -SkipPreflight.</summary>
    private async Task CheckQuotasAsync(ImportPreflightRequest request, CancellationToken cancellationToken)
    {
        var quotas = await ReadQuotasAsync(cancellationToken).ConfigureAwait(false);
        var models = quotas?.FirstOrDefault(q => q.Kind == ImportQuotaKind.ImportedModels);
        if (models?.Value is double modelLimit && models.Remaining < 1)
        {
            throw new ImportPreflightException("ImportedModelQuotaReached", ErrorKind.Quota,
                $"The account has {models.Usage} imported models in {request.JobRegion}, as many as its quota '{models.Name}' allows ({modelLimit:0.##}): " +
                $"the import job would fail. Delete a model you no longer need (Get-ImportedModel, then Remove-ImportedModel <name>), or ask for more: " +
                $"Request-BedrockImportQuotaIncrease -Quota ImportedModels -DesiredValue {modelLimit + 1:0.##}" +
                (models.Adjustable ? " (a review can take days)." : " (the quota is not adjustable in this account: ask AWS Support)."), models);
        }

        var jobs = quotas?.FirstOrDefault(q => q.Kind == ImportQuotaKind.ConcurrentImportJobs);
        if (jobs?.Value is not double jobLimit || jobs.Remaining >= 1)
        {
            return;
        }

        if (!request.WaitForImportSlot)
        {
            var running = await RunningJobsAsync(cancellationToken).ConfigureAwait(false);
            var names = running.Count == 0 ? "" : " (" + string.Join(", ", running.Select(j => j.JobName)) + ")";
            throw new ImportPreflightException("ConcurrentImportJobQuotaReached", ErrorKind.Quota,
                $"{jobs.Usage} model import job(s) are in progress in {request.JobRegion}{names}, as many as the quota '{jobs.Name}' allows ({jobLimit:0.##}): " +
                $"the import job would fail. Run the command again with -Queue to wait for a free slot, wait for the running job first" +
                (running.Count > 0 ? $" (Wait-BedrockImportJob {running[0].JobName})" : "") +
                $", or ask for more: Request-BedrockImportQuotaIncrease -Quota ConcurrentImportJobs -DesiredValue {jobLimit + 1:0.##}.", jobs);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            request.OnImportSlotWait?.Invoke(new ImportSlotWait(await RunningJobsAsync(cancellationToken).ConfigureAwait(false), jobLimit, clock.Elapsed));
            await Task.Delay(request.ImportSlotPollInterval, cancellationToken).ConfigureAwait(false);
            var now = (await ReadQuotasAsync(cancellationToken).ConfigureAwait(false))?.FirstOrDefault(q => q.Kind == ImportQuotaKind.ConcurrentImportJobs);
            if (now == null || now.Remaining >= 1)
            {
                _log.Verbose($"An import job slot is free after {clock.Elapsed.TotalSeconds:F0} s of waiting.");
                return;
            }
        }
    }

    private async Task<IReadOnlyList<ImportQuota>?> ReadQuotasAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _services.GetImportQuotasAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AwsServiceException error) when (IsDenied(error))
        {
            _log.Warning($"Could not read the import quotas ({Describe(error)}); the import was not checked against them. Grant servicequotas:ListServiceQuotas and servicequotas:ListAWSDefaultServiceQuotas to have them checked.");
        }
        catch (ImportQuotaNotFoundException error)
        {
            _log.Warning(error.Message + " The import was not checked against the quotas.");
        }

        return null;
    }

    private async Task<IReadOnlyList<ModelImportJob>> RunningJobsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _services.ListInProgressJobsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AwsServiceException error) when (IsDenied(error))
        {
            return Array.Empty<ModelImportJob>();
        }
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

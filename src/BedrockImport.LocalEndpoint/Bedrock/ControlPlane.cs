using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Import;
using BedrockImport.Engine.Json;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.ServiceQuotas;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>The six Custom Model Import operations (bedrock-wire-protocol.md §2).</summary>
internal sealed partial class ControlPlane
{
    private readonly EndpointContext _context;
    private readonly ImportJobStore _store;
    private readonly QuotaLedger _quotas;
    private readonly WeightsEngine _engine;

    public ControlPlane(EndpointContext context, ImportJobStore store, QuotaLedger quotas, WeightsEngine engine)
    {
        _context = context;
        _store = store;
        _quotas = quotas;
        _engine = engine;
    }

    public async Task CreateModelImportJobAsync(HttpContext http)
    {
        var body = await BedrockHandler.ReadBodyAsync(http).ConfigureAwait(false);
        CreateModelImportJobRequest request;
        try
        {
            request = JsonSerializer.Deserialize<CreateModelImportJobRequest>(body, EngineJson.Options)
                      ?? throw new JsonException("empty body");
        }
        catch (JsonException e)
        {
            throw new BedrockError(400, "SerializationException", "The request body is not a valid CreateModelImportJob JSON object: " + e.Message);
        }
        ValidateCreate(request);

        // Idempotency: a token seen before returns the first job without creating another.
        if (request.ClientRequestToken is { } token)
        {
            var previous = _store.Jobs().FirstOrDefault(j => j.ClientRequestToken == token);
            if (previous is not null)
            {
                await BedrockHandler.WriteJsonAsync(http, 201, new { jobArn = previous.JobArn }).ConfigureAwait(false);
                return;
            }
        }

        var knobs = _context.Knobs.Current.Bedrock;
        var now = _store.Now;
        var jobId = BedrockIds.NewId();
        var record = new ImportJobRecord
        {
            JobId = jobId,
            JobArn = BedrockIds.JobArnFor(_context.Region, jobId),
            JobName = request.JobName,
            ImportedModelName = request.ImportedModelName,
            ImportedModelArn = BedrockIds.ModelArnFor(_context.Region, BedrockIds.NewId()),
            RoleArn = request.RoleArn,
            S3Uri = request.ModelDataSource.S3DataSource!.S3Uri,
            ClientRequestToken = request.ClientRequestToken,
            CreationTime = now,
            EndTime = now + TimeSpan.FromMilliseconds(Math.Max(0, knobs.ImportDurationMs)),
            JobTags = request.JobTags,
            ImportedModelTags = request.ImportedModelTags,
            VpcConfig = request.VpcConfig,
            ImportedModelKmsKeyArn = KmsKeyArn(request.ImportedModelKmsKeyId),
        };

        // Conflicts are answered before the S3 folder is read, and checked again atomically when the job is stored.
        SameTokenOrConflict(_store.Jobs(), record);
        WithinQuotas(_store.Jobs());
        var outcome = await ImportValidation.RunAsync(_context, record.S3Uri, knobs.ImportMaxTotalBytes, http.RequestAborted).ConfigureAwait(false);
        record.FailureMessage = knobs.ForcedImportFailure ?? outcome.FailureMessage;
        record.ModelArchitecture = outcome.ModelArchitecture;
        record.InstructSupported = outcome.InstructSupported;
        record.CustomModelUnitsPerModelCopy = outcome.CustomModelUnits;

        var stored = _store.Add(record, jobs =>
        {
            var same = SameTokenOrConflict(jobs, record);
            if (same is null)
                WithinQuotas(jobs);
            return same;
        });
        await BedrockHandler.WriteJsonAsync(http, 201, new { jobArn = stored.JobArn }).ConfigureAwait(false);
    }

    private ImportJobRecord? SameTokenOrConflict(List<ImportJobRecord> jobs, ImportJobRecord record)
    {
        if (record.ClientRequestToken is not null && jobs.FirstOrDefault(j => j.ClientRequestToken == record.ClientRequestToken) is { } same)
            return same;
        // The service's error for a duplicate job name is not documented; ConflictException is this endpoint's choice.
        if (jobs.Any(j => j.JobName == record.JobName))
            throw BedrockError.Conflict($"A model import job named '{record.JobName}' already exists. Job names are unique per account and Region: choose another name.");
        if (jobs.Any(j => j.ImportedModelName == record.ImportedModelName && j.ModelDeletedTime is null && _store.StatusOf(j) != ImportJobStatus.Failed))
            throw BedrockError.Conflict($"An imported model named '{record.ImportedModelName}' already exists (or is being imported). Choose another name or delete the existing model.");
        return null;
    }

    // The service answers ServiceQuotaExceededException (botocore lists it for CreateModelImportJob); the wording is this endpoint's.
    private void WithinQuotas(List<ImportJobRecord> jobs)
    {
        var running = jobs.Count(j => _store.StatusOf(j) == ImportJobStatus.InProgress);
        var concurrent = _quotas.Value(QuotaDefinition.ConcurrentImportJobsCode);
        if (running >= concurrent)
            throw BedrockError.QuotaExceeded(
                $"You have reached the quota of {concurrent} concurrent model import jobs in {_context.Region} ({running} in progress). " +
                "Wait for a running job to complete, or request an increase of 'Concurrent model import jobs' in Service Quotas.");
        var models = jobs.Count(_store.ModelExists);
        var imported = _quotas.Value(QuotaDefinition.ImportedModelsCode);
        if (models >= imported)
            throw BedrockError.QuotaExceeded(
                $"You have reached the quota of {imported} imported models per account in {_context.Region} ({models} imported). " +
                "Delete an imported model, or request an increase of 'Imported models per account' in Service Quotas.");
    }

    public Task GetModelImportJobAsync(HttpContext http, string identifier)
    {
        Require(identifier, "jobIdentifier", BedrockPatterns.JobIdentifier, BedrockPatterns.JobArnPattern + "|" + BedrockPatterns.JobNamePattern, 1011);
        var job = _store.Jobs().FirstOrDefault(j => j.JobArn == identifier || j.JobName == identifier)
                  ?? throw BedrockError.NotFound($"The model import job '{identifier}' was not found. Check the job name or ARN, and the Region.");
        return BedrockHandler.WriteJsonAsync(http, 200, JobView(job, summary: false));
    }

    public Task ListModelImportJobsAsync(HttpContext http)
    {
        var query = http.Request.Query;
        var filter = ListFilter.Parse(query);
        var statusEquals = query["statusEquals"].FirstOrDefault();
        if (statusEquals is not null && !Enum.TryParse<ImportJobStatus>(statusEquals, ignoreCase: false, out _))
            throw BedrockError.Validation($"1 validation error detected: Value '{statusEquals}' at 'statusEquals' failed to satisfy constraint: Member must satisfy enum value set: [InProgress, Completed, Failed]");

        var jobs = _store.Jobs().Where(j => filter.Matches(j.JobName, j.CreationTime)
                                            && (statusEquals is null || _store.StatusOf(j).ToString() == statusEquals));
        var (page, next) = filter.Page(jobs, j => j.CreationTime, j => j.JobArn);
        return BedrockHandler.WriteJsonAsync(http, 200, new { modelImportJobSummaries = page.Select(j => JobView(j, summary: true)).ToList(), nextToken = next });
    }

    public Task GetImportedModelAsync(HttpContext http, string identifier)
    {
        var job = FindModel(identifier);
        return BedrockHandler.WriteJsonAsync(http, 200, ModelView(job, summary: false));
    }

    public Task ListImportedModelsAsync(HttpContext http)
    {
        var filter = ListFilter.Parse(http.Request.Query);
        var models = _store.Jobs().Where(j => _store.ModelExists(j) && filter.Matches(j.ImportedModelName, j.EndTime));
        var (page, next) = filter.Page(models, j => j.EndTime, j => j.ImportedModelArn);
        return BedrockHandler.WriteJsonAsync(http, 200, new { modelSummaries = page.Select(j => ModelView(j, summary: true)).ToList(), nextToken = next });
    }

    public Task DeleteImportedModelAsync(HttpContext http, string identifier)
    {
        var job = FindModel(identifier);
        _store.Update(job, j => j.ModelDeletedTime = _store.Now);
        // A deleted model keeps no weights in memory nor its engine folder on disk.
        _engine.Forget(job);
        return BedrockHandler.WriteJsonAsync(http, 200, new { });
    }

    /// <summary>The completed job of a live imported model, by model ARN or name.</summary>
    internal ImportJobRecord FindModel(string identifier)
    {
        Require(identifier, "modelIdentifier", BedrockPatterns.ModelIdentifier, BedrockPatterns.ModelArnPattern + "|" + BedrockPatterns.ModelNamePattern, 1011);
        return _store.Jobs().FirstOrDefault(j => _store.ModelExists(j) && (j.ImportedModelArn == identifier || j.ImportedModelName == identifier))
               ?? throw BedrockError.NotFound($"The imported model '{identifier}' was not found. Check the model name or ARN, and the Region; a model appears only after its import job completed.");
    }

    private ModelImportJob JobView(ImportJobRecord job, bool summary)
    {
        var status = _store.StatusOf(job);
        var terminal = status != ImportJobStatus.InProgress;
        var view = new ModelImportJob
        {
            JobArn = job.JobArn,
            JobName = job.JobName,
            ImportedModelName = job.ImportedModelName,
            ImportedModelArn = status == ImportJobStatus.Completed ? job.ImportedModelArn : null,
            Status = status.ToString(),
            CreationTime = job.CreationTime.UtcDateTime,
            LastModifiedTime = (terminal ? job.EndTime : job.CreationTime).UtcDateTime,
            EndTime = terminal ? job.EndTime.UtcDateTime : null,
        };
        if (!summary)
        {
            view.RoleArn = job.RoleArn;
            view.ModelDataSource = new ModelDataSource { S3DataSource = new S3DataSource { S3Uri = job.S3Uri } };
            view.FailureMessage = status == ImportJobStatus.Failed ? job.FailureMessage : null;
            view.VpcConfig = job.VpcConfig;
            view.ImportedModelKmsKeyArn = job.ImportedModelKmsKeyArn;
        }
        return view;
    }

    private static ImportedModel ModelView(ImportJobRecord job, bool summary)
    {
        var view = new ImportedModel
        {
            ModelArn = job.ImportedModelArn,
            ModelName = job.ImportedModelName,
            CreationTime = job.EndTime.UtcDateTime,
            ModelArchitecture = job.ModelArchitecture,
            InstructSupported = job.InstructSupported,
        };
        if (!summary)
        {
            view.JobName = job.JobName;
            view.JobArn = job.JobArn;
            view.ModelDataSource = new ModelDataSource { S3DataSource = new S3DataSource { S3Uri = job.S3Uri } };
            view.ModelKmsKeyArn = job.ImportedModelKmsKeyArn;
            view.CustomModelUnits = new CustomModelUnits { CustomModelUnitsPerModelCopy = job.CustomModelUnitsPerModelCopy, CustomModelUnitsVersion = "v1.0" };
        }
        return view;
    }

    private static string? KmsKeyArn(string? keyId)
        => keyId is null ? null : keyId.StartsWith("arn:", StringComparison.Ordinal) ? keyId : $"arn:aws:kms:us-east-1:{BedrockIds.AccountId}:key/{keyId}";

    private static void ValidateCreate(CreateModelImportJobRequest request)
    {
        var errors = new List<string>();
        Check(errors, request.JobName, "jobName", BedrockPatterns.JobName, BedrockPatterns.JobNamePattern, 1, 63, required: true);
        Check(errors, request.ImportedModelName, "importedModelName", BedrockPatterns.ImportedModelName, BedrockPatterns.ModelNamePattern, 1, 63, required: true);
        Check(errors, request.RoleArn, "roleArn", BedrockPatterns.RoleArn, BedrockPatterns.RoleArnPattern, 0, 2048, required: true);
        if (request.ModelDataSource?.S3DataSource is null)
            errors.Add("Value null at 'modelDataSource.s3DataSource' failed to satisfy constraint: Member must not be null");
        else
            Check(errors, request.ModelDataSource.S3DataSource.S3Uri, "modelDataSource.s3DataSource.s3Uri", BedrockPatterns.S3Uri, BedrockPatterns.S3UriPattern, 1, 1024, required: true);
        Check(errors, request.ClientRequestToken, "clientRequestToken", BedrockPatterns.ClientRequestToken, BedrockPatterns.ClientRequestTokenPattern, 1, 256, required: false);
        Check(errors, request.ImportedModelKmsKeyId, "importedModelKmsKeyId", BedrockPatterns.KmsKeyId, BedrockPatterns.KmsKeyIdPattern, 1, 2048, required: false);
        CheckTags(errors, request.JobTags, "jobTags");
        CheckTags(errors, request.ImportedModelTags, "importedModelTags");
        if (request.VpcConfig is { } vpc)
        {
            if (vpc.SubnetIds.Count is < 1 or > 16)
                errors.Add($"Value '[{string.Join(", ", vpc.SubnetIds)}]' at 'vpcConfig.subnetIds' failed to satisfy constraint: Member must have length between 1 and 16");
            if (vpc.SecurityGroupIds.Count is < 1 or > 5)
                errors.Add($"Value '[{string.Join(", ", vpc.SecurityGroupIds)}]' at 'vpcConfig.securityGroupIds' failed to satisfy constraint: Member must have length between 1 and 5");
            foreach (var id in vpc.SubnetIds.Concat(vpc.SecurityGroupIds))
                Check(errors, id, "vpcConfig", BedrockPatterns.VpcId, BedrockPatterns.VpcIdPattern, 0, 32, required: true);
        }
        if (errors.Count > 0)
            throw BedrockError.Validation(ValidationMessage(errors));
    }

    private static void CheckTags(List<string> errors, List<Tag>? tags, string member)
    {
        if (tags is null) return;
        if (tags.Count > 200)
            errors.Add($"Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to 200");
        for (var i = 0; i < tags.Count; i++)
        {
            Check(errors, tags[i].Key, $"{member}.{i + 1}.member.key", BedrockPatterns.TagText, BedrockPatterns.TagPattern, 1, 128, required: true);
            Check(errors, tags[i].Value, $"{member}.{i + 1}.member.value", BedrockPatterns.TagText, BedrockPatterns.TagPattern, 0, 256, required: false);
        }
    }

    private static void Check(List<string> errors, string? value, string member, Regex regex, string pattern, int min, int max, bool required)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
                errors.Add($"Value null at '{member}' failed to satisfy constraint: Member must not be null");
            else if (value is not null && min > 0)
                errors.Add($"Value '' at '{member}' failed to satisfy constraint: Member must have length greater than or equal to {min}");
            return;
        }
        if (value.Length > max)
            errors.Add($"Value '{value}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}");
        else if (!regex.IsMatch(value))
            errors.Add($"Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}");
    }

    internal static void Require(string value, string member, Regex regex, string pattern, int max)
    {
        var errors = new List<string>();
        Check(errors, value, member, regex, pattern, 1, max, required: true);
        if (errors.Count > 0) throw BedrockError.Validation(ValidationMessage(errors));
    }

    internal static string ValidationMessage(List<string> errors)
        => errors.Count + (errors.Count == 1 ? " validation error detected: " : " validation errors detected: ") + string.Join("; ", errors);

    /// <summary>The common query members of List*: time filters, nameContains, sort and paging.</summary>
    private sealed class ListFilter
    {
        private DateTimeOffset? _after, _before;
        private string? _nameContains;
        private bool _ascending;
        private int _maxResults = 1000;
        private int _offset;

        public static ListFilter Parse(IQueryCollection query)
        {
            var filter = new ListFilter();
            var errors = new List<string>();
            filter._after = Time(query, "creationTimeAfter", errors);
            filter._before = Time(query, "creationTimeBefore", errors);
            filter._nameContains = query["nameContains"].FirstOrDefault();
            if (filter._nameContains is { Length: > 63 })
                errors.Add($"Value '{filter._nameContains}' at 'nameContains' failed to satisfy constraint: Member must have length less than or equal to 63");
            if (query["maxResults"].FirstOrDefault() is { } max)
            {
                if (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out filter._maxResults) || filter._maxResults is < 1 or > 1000)
                    errors.Add($"Value '{max}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000");
            }
            var sortBy = query["sortBy"].FirstOrDefault();
            if (sortBy is not null && sortBy != "CreationTime")
                errors.Add($"Value '{sortBy}' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [CreationTime]");
            var sortOrder = query["sortOrder"].FirstOrDefault();
            if (sortOrder is not null && sortOrder != "Ascending" && sortOrder != "Descending")
                errors.Add($"Value '{sortOrder}' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [Ascending, Descending]");
            filter._ascending = sortOrder == "Ascending";
            if (query["nextToken"].FirstOrDefault() is { } token)
                filter._offset = DecodeToken(token);
            if (errors.Count > 0) throw BedrockError.Validation(ValidationMessage(errors));
            return filter;
        }

        public bool Matches(string name, DateTimeOffset creationTime)
            => (_after is null || creationTime > _after) && (_before is null || creationTime < _before)
               && (_nameContains is null || name.Contains(_nameContains, StringComparison.OrdinalIgnoreCase));

        public (List<ImportJobRecord> Page, string? NextToken) Page(IEnumerable<ImportJobRecord> items, Func<ImportJobRecord, DateTimeOffset> time, Func<ImportJobRecord, string> tieBreak)
        {
            var sorted = _ascending
                ? items.OrderBy(time).ThenBy(tieBreak, StringComparer.Ordinal).ToList()
                : items.OrderByDescending(time).ThenByDescending(tieBreak, StringComparer.Ordinal).ToList();
            var page = sorted.Skip(_offset).Take(_maxResults).ToList();
            var next = _offset + page.Count < sorted.Count ? EncodeToken(_offset + page.Count) : null;
            return (page, next);
        }

        private static DateTimeOffset? Time(IQueryCollection query, string name, List<string> errors)
        {
            var text = query[name].FirstOrDefault();
            if (text is null) return null;
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
                return value;
            errors.Add($"Value '{text}' at '{name}' failed to satisfy constraint: Member must be an ISO 8601 timestamp");
            return null;
        }

        private static string EncodeToken(int offset) => Convert.ToBase64String(Encoding.UTF8.GetBytes("offset:" + offset.ToString(CultureInfo.InvariantCulture)));

        private static int DecodeToken(string token)
        {
            try
            {
                var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
                if (text.StartsWith("offset:", StringComparison.Ordinal)
                    && int.TryParse(text.AsSpan("offset:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
                    return offset;
            }
            catch (FormatException)
            {
            }
            throw BedrockError.Validation("The nextToken is not valid. Pass the nextToken of the previous response unchanged.");
        }
    }
}

using System.Security.Cryptography;
using System.Text;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Import;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Quotas;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Import;

public sealed class ImportPreflightTests : IDisposable
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private static readonly S3Uri Folder = S3Uri.Parse("s3://models/youko/");
    private readonly string _modelFolder = Path.Combine(Path.GetTempPath(), "bi-preflight-" + Guid.NewGuid().ToString("N"));

    public ImportPreflightTests() => SyntheticModel.Write(_modelFolder, new SyntheticModelOptions());

    public void Dispose() => Directory.Delete(_modelFolder, recursive: true);

    private FakeServices ValidFolder() => new FakeServices(new EtaggedSource(new LocalFolderSource(_modelFolder)));

    private static ImportPreflightRequest Request(string modelName = "youko") => new ImportPreflightRequest(Folder, "us-east-1", modelName);

    private static async Task<ImportPreflightException> StopsAsync(FakeServices services, ImportPreflightRequest request)
        => await Assert.ThrowsAsync<ImportPreflightException>(() => new ImportPreflight(services).RunAsync(request, CancellationToken.None));

    [Fact]
    public async Task A_bucket_in_another_region_stops_before_the_folder_is_read_and_names_both_regions_and_the_fix()
    {
        var services = ValidFolder();
        services.BucketRegion = "eu-west-1";

        var error = await StopsAsync(services, Request());

        Assert.Equal("BucketInOtherRegion", error.ErrorId);
        Assert.Contains("eu-west-1", error.Message);
        Assert.Contains("us-east-1", error.Message);
        Assert.Contains("-Region eu-west-1", error.Message);
        Assert.Contains("Copy-BedrockModelSource", error.Message);
        Assert.Equal(0, services.Listings);
    }

    [Fact]
    public async Task An_empty_prefix_stops_with_ModelSourceEmpty()
    {
        var services = new FakeServices(new FakeSource());

        var error = await StopsAsync(services, Request());

        Assert.Equal("ModelSourceEmpty", error.ErrorId);
        Assert.Contains("s3://models/youko/", error.Message);
        Assert.Contains("Copy-BedrockModelSource", error.Message);
    }

    [Fact]
    public async Task A_broken_prefix_stops_with_the_validators_findings_and_the_report()
    {
        File.Delete(Path.Combine(_modelFolder, "tokenizer.json"));
        var services = ValidFolder();

        var error = await StopsAsync(services, Request());

        Assert.Equal("ModelSourceInvalid", error.ErrorId);
        Assert.Contains(ModelPackageProblemCodes.TokenizerMissing, error.Message);
        Assert.Contains("Test-BedrockModelSource -S3Uri s3://models/youko/", error.Message);
        Assert.False(Assert.IsType<ModelPackageReport>(error.Detail).Passed);
        Assert.Equal(1, services.Listings);
    }

    [Fact]
    public async Task A_missing_bucket_stops_with_ModelSourceBucketNotFound()
    {
        var services = ValidFolder();
        services.BucketError = new AwsServiceException("NotFound", "Not Found", 404, null);

        Assert.Equal("ModelSourceBucketNotFound", (await StopsAsync(services, Request())).ErrorId);
    }

    [Fact]
    public async Task Access_denied_while_checking_is_a_warning_and_the_other_checks_still_run()
    {
        var services = new FakeServices(new FakeSource());
        services.BucketError = new AwsServiceException("Forbidden", "Forbidden", 403, null);
        var log = new RecordingLog();

        var error = await Assert.ThrowsAsync<ImportPreflightException>(() => new ImportPreflight(services, log).RunAsync(Request(), CancellationToken.None));

        Assert.Equal("ModelSourceEmpty", error.ErrorId);
        Assert.Contains(log.Warnings, w => w.Contains("region of the bucket 'models'") && w.Contains("403"));
    }

    [Fact]
    public async Task Access_denied_on_the_listing_is_a_warning_and_leaves_the_import_untagged()
    {
        var services = ValidFolder();
        services.ListError = new AwsServiceException("AccessDenied", "Access Denied", 403, null);
        var log = new RecordingLog();

        var result = await new ImportPreflight(services, log).RunAsync(Request(), CancellationToken.None);

        Assert.Null(result.SourceIdentity);
        Assert.Single(log.Warnings);
        Assert.Equal(0, services.ModelListings);
    }

    [Fact]
    public async Task Without_checks_an_empty_prefix_in_another_region_passes_and_still_gets_an_identity()
    {
        var services = new FakeServices(new FakeSource());
        services.BucketRegion = "eu-west-1";
        var request = Request();
        request.RunChecks = false;

        var result = await new ImportPreflight(services).RunAsync(request, CancellationToken.None);

        Assert.Equal(ImportSourceIdentity.FromObjects(Array.Empty<ModelSourceFile>()), result.SourceIdentity);
        Assert.Equal(0, services.RegionLookups);
    }

    [Fact]
    public async Task A_valid_prefix_passes_with_its_report_and_the_digest_of_its_listing()
    {
        var services = ValidFolder();

        var result = await new ImportPreflight(services).RunAsync(Request(), CancellationToken.None);

        Assert.True(result.Report.Passed);
        Assert.Equal(ImportSourceIdentity.FromObjects(await services.Source.ListFilesAsync(CancellationToken.None)), result.SourceIdentity);
        Assert.Equal(1, services.Listings);
        Assert.Null(result.ExistingModel);
        Assert.Null(result.RunningJob);
    }

    [Fact]
    public async Task The_hub_commit_is_the_identity_when_it_is_known()
    {
        var request = Request();
        request.HubCommit = Commit.ToUpperInvariant();

        var result = await new ImportPreflight(ValidFolder()).RunAsync(request, CancellationToken.None);

        Assert.Equal("hf-commit:" + Commit, result.SourceIdentity);
    }

    [Fact]
    public async Task A_model_of_the_same_name_made_from_the_same_source_is_reused()
    {
        var services = ValidFolder();
        var identity = ImportSourceIdentity.FromObjects(await services.Source.ListFilesAsync(CancellationToken.None));
        services.AddModel("youko", identity);
        services.AddModel("youko-2", identity);

        var result = await new ImportPreflight(services).RunAsync(Request(), CancellationToken.None);

        Assert.Equal("youko", result.ExistingModel.ModelName);
        Assert.Equal(services.Models[0].ModelArn, result.ExistingModel.ModelArn);
        Assert.Null(result.RunningJob);
    }

    [Theory]
    [InlineData("youko-v2", true)]
    [InlineData("youko", false)]
    public async Task A_model_of_another_name_or_another_source_is_not_reused(string existingName, bool sameSource)
    {
        var services = ValidFolder();
        var identity = ImportSourceIdentity.FromObjects(await services.Source.ListFilesAsync(CancellationToken.None));
        services.AddModel(existingName, sameSource ? identity : "hf-commit:" + Commit);

        var result = await new ImportPreflight(services).RunAsync(Request(), CancellationToken.None);

        Assert.Null(result.ExistingModel);
        Assert.Null(result.RunningJob);
    }

    [Fact]
    public async Task A_running_job_for_the_same_name_and_source_is_reused_when_no_model_exists_yet()
    {
        var services = ValidFolder();
        var identity = ImportSourceIdentity.FromObjects(await services.Source.ListFilesAsync(CancellationToken.None));
        services.AddJob("youko", "hf-commit:" + Commit);
        services.AddJob("youko", identity);

        var result = await new ImportPreflight(services).RunAsync(Request(), CancellationToken.None);

        Assert.Equal(services.Jobs[1].JobArn, result.RunningJob.JobArn);
        Assert.Null(result.ExistingModel);
    }

    [Fact]
    public async Task Force_looks_for_nothing()
    {
        var services = ValidFolder();
        services.AddModel("youko", ImportSourceIdentity.FromObjects(await services.Source.ListFilesAsync(CancellationToken.None)));
        var request = Request();
        request.LookForExisting = false;

        var result = await new ImportPreflight(services).RunAsync(request, CancellationToken.None);

        Assert.Null(result.ExistingModel);
        Assert.NotNull(result.SourceIdentity);
        Assert.Equal(0, services.ModelListings);
        Assert.Equal(0, services.TagLookups);
    }

    [Fact]
    public async Task Access_denied_while_looking_for_a_model_is_a_warning_and_imports_anew()
    {
        var services = ValidFolder();
        services.ModelListError = new AwsServiceException("AccessDeniedException", "not allowed", 403, null);
        var log = new RecordingLog();

        var result = await new ImportPreflight(services, log).RunAsync(Request(), CancellationToken.None);

        Assert.Null(result.ExistingModel);
        Assert.Contains(log.Warnings, w => w.Contains("bedrock:ListTagsForResource"));
    }

    [Fact]
    public void The_digest_is_the_sha256_of_the_documented_lines()
    {
        var files = new[]
        {
            new ModelSourceFile("tokenizer.json", 17, etag: "\"b2\""),
            new ModelSourceFile("config.json", 5, etag: "\"a1\""),
            new ModelSourceFile("sub/x.bin", 0, etag: "c3-2"),
        };
        var lines = "config.json\t5\ta1\nsub/x.bin\t0\tc3-2\ntokenizer.json\t17\tb2\n";
        var expected = "s3-etags-sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(lines))).ToLowerInvariant();

        Assert.Equal(expected, ImportSourceIdentity.FromObjects(files));
        Assert.Equal(expected, ImportSourceIdentity.FromObjects(files.Reverse()));
    }

    [Theory]
    [InlineData("config.json", 5, "\"a2\"")]
    [InlineData("config.json", 6, "\"a1\"")]
    [InlineData("Config.json", 5, "\"a1\"")]
    public void The_digest_changes_with_any_key_size_or_etag(string path, long size, string etag)
    {
        var original = ImportSourceIdentity.FromObjects(new[] { new ModelSourceFile("config.json", 5, etag: "\"a1\"") });

        Assert.NotEqual(original, ImportSourceIdentity.FromObjects(new[] { new ModelSourceFile(path, size, etag: etag) }));
    }

    [Fact]
    public void Identities_fit_the_bedrock_tag_value_pattern()
    {
        foreach (var identity in new[] { ImportSourceIdentity.FromHubCommit(Commit), ImportSourceIdentity.FromObjects(Array.Empty<ModelSourceFile>()) })
        {
            Assert.Matches(BedrockPatterns.TagText, identity);
            Assert.InRange(identity.Length, 1, 256);
        }

        Assert.Matches(BedrockPatterns.TagText, ImportSourceIdentity.TagKey);
        Assert.Throws<ArgumentException>(() => ImportSourceIdentity.FromHubCommit("main"));
    }

    [Fact]
    public async Task At_the_imported_model_quota_the_import_stops_with_the_figures_and_the_fixes()
    {
        var services = ValidFolder();
        services.AddModel("other-a", "x");
        services.AddModel("other-b", "y");
        services.QuotaValues = (2, 20);

        var error = await StopsAsync(services, Request());

        Assert.Equal("ImportedModelQuotaReached", error.ErrorId);
        Assert.Equal(BedrockImport.Engine.Errors.ErrorKind.Quota, error.Kind);
        Assert.Contains("has 2 imported models in us-east-1", error.Message);
        Assert.Contains("'Imported models per account' allows (2)", error.Message);
        Assert.Contains("Remove-ImportedModel", error.Message);
        Assert.Contains("Request-BedrockImportQuotaIncrease -Quota ImportedModels -DesiredValue 3", error.Message);
    }

    [Fact]
    public async Task With_every_job_slot_taken_the_import_stops_naming_the_running_job_and_minus_Queue()
    {
        var services = ValidFolder();
        services.AddJob("busy", "other-source");
        services.QuotaValues = (100, 1);

        var error = await StopsAsync(services, Request());

        Assert.Equal("ConcurrentImportJobQuotaReached", error.ErrorId);
        Assert.Contains("1 model import job(s) are in progress in us-east-1 (busy-job0)", error.Message);
        Assert.Contains("-Queue", error.Message);
        Assert.Contains("Wait-BedrockImportJob busy-job0", error.Message);
        Assert.Contains("-Quota ConcurrentImportJobs -DesiredValue 2", error.Message);
    }

    [Fact]
    public async Task Queue_waits_until_a_job_slot_is_free_then_lets_the_import_go_on()
    {
        var services = ValidFolder();
        services.AddJob("busy", "other-source");
        services.QuotaValues = (100, 1);
        services.OnQuotaRead = read => { if (read == 3) services.Jobs[0].Status = "Completed"; };
        var waits = new List<ImportSlotWait>();
        var request = Request();
        request.WaitForImportSlot = true;
        request.ImportSlotPollInterval = TimeSpan.FromMilliseconds(10);
        request.OnImportSlotWait = waits.Add;

        await new ImportPreflight(services).RunAsync(request, CancellationToken.None);

        Assert.Equal(3, services.QuotaReads);
        Assert.Equal(2, waits.Count);
        Assert.All(waits, w => Assert.Equal(1, w.Quota));
        Assert.True(waits[1].Waited >= waits[0].Waited);
    }

    [Fact]
    public async Task Queue_is_cancelled_by_the_token()
    {
        var services = ValidFolder();
        services.AddJob("busy", "other-source");
        services.QuotaValues = (100, 1);
        var request = Request();
        request.WaitForImportSlot = true;
        request.ImportSlotPollInterval = TimeSpan.FromMilliseconds(10);
        using var cancel = new CancellationTokenSource();
        request.OnImportSlotWait = w => { if (w.Waited > TimeSpan.FromMilliseconds(30)) cancel.Cancel(); };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ImportPreflight(services).RunAsync(request, cancel.Token));
    }

    [Fact]
    public async Task No_servicequotas_permission_is_a_warning_and_the_quotas_are_not_checked()
    {
        var services = ValidFolder();
        services.QuotaError = new AwsServiceException("AccessDeniedException", "User is not authorized to perform: servicequotas:ListServiceQuotas", 403, "r1");
        var log = new RecordingLog();

        await new ImportPreflight(services, log).RunAsync(Request(), CancellationToken.None);

        Assert.Contains(log.Warnings, w => w.Contains("import quotas") && w.Contains("servicequotas:ListServiceQuotas"));
    }

    [Fact]
    public async Task A_reused_model_or_SkipPreflight_reads_no_quota()
    {
        var services = ValidFolder();
        services.QuotaValues = (0, 0);
        var skip = Request();
        skip.RunChecks = false;
        await new ImportPreflight(services).RunAsync(skip, CancellationToken.None);
        Assert.Equal(0, services.QuotaReads);
    }

    private sealed class RecordingLog : IEngineLog
    {
        public List<string> Warnings { get; } = new List<string>();
        public void Verbose(string message) { }
        public void Debug(string message) { }
        public void Warning(string message) => Warnings.Add(message);
    }

    /// <summary>A folder source whose files carry an ETag (their SHA-256), as an S3 listing would.</summary>
    private sealed class EtaggedSource : IModelSource
    {
        private readonly IModelSource _inner;

        public EtaggedSource(IModelSource inner) => _inner = inner;

        public string Location => "s3://models/youko/";
        public bool IsLocal => false;

        public async Task<IReadOnlyList<ModelSourceFile>> ListFilesAsync(CancellationToken cancellationToken)
            => (await _inner.ListFilesAsync(cancellationToken)).Select(f => new ModelSourceFile(f.Path, f.Length, etag: "\"" + f.Path.Length + "-" + f.Length + "\"")).ToList();

        public Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
            => _inner.OpenRangeAsync(path, offset, length, cancellationToken);
    }

    private sealed class FakeSource : IModelSource
    {
        public string Location => "s3://models/youko/";
        public bool IsLocal => false;
        public Task<IReadOnlyList<ModelSourceFile>> ListFilesAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<ModelSourceFile>>(Array.Empty<ModelSourceFile>());
        public Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken) => throw new FileNotFoundException(path);
    }

    private sealed class FakeServices : IImportPreflightServices
    {
        private readonly Dictionary<string, List<Tag>> _tags = new Dictionary<string, List<Tag>>();

        public FakeServices(IModelSource source) => Source = source;

        public IModelSource Source { get; }
        public string BucketRegion { get; set; } = "us-east-1";
        public AwsServiceException BucketError { get; set; }
        public AwsServiceException ListError { get; set; }
        public AwsServiceException ModelListError { get; set; }
        public List<ImportedModel> Models { get; } = new List<ImportedModel>();
        public List<ModelImportJob> Jobs { get; } = new List<ModelImportJob>();
        public int RegionLookups { get; private set; }
        public int Listings { get; private set; }
        public int ModelListings { get; private set; }
        public int TagLookups { get; private set; }

        public void AddModel(string name, string identity)
        {
            var arn = "arn:aws:bedrock:us-east-1:123456789012:imported-model/" + Guid.NewGuid().ToString("N").Substring(0, 12);
            Models.Add(new ImportedModel { ModelArn = arn, ModelName = name });
            _tags[arn] = new List<Tag> { new Tag { Key = "team", Value = "ml" }, new Tag { Key = ImportSourceIdentity.TagKey, Value = identity } };
        }

        public void AddJob(string modelName, string identity)
        {
            var arn = "arn:aws:bedrock:us-east-1:123456789012:model-import-job/" + Guid.NewGuid().ToString("N").Substring(0, 12);
            Jobs.Add(new ModelImportJob { JobArn = arn, JobName = modelName + "-job" + Jobs.Count, ImportedModelName = modelName, Status = "InProgress" });
            _tags[arn] = new List<Tag> { new Tag { Key = ImportSourceIdentity.TagKey, Value = identity } };
        }

        public Task<string> GetBucketRegionAsync(string bucket, CancellationToken cancellationToken)
        {
            RegionLookups++;
            return BucketError != null ? Task.FromException<string>(BucketError) : Task.FromResult(BucketRegion);
        }

        public IModelSource OpenFolder(S3Uri folder) => new CountingSource(this);

        public Task<IReadOnlyList<ImportedModel>> ListImportedModelsAsync(string nameContains, CancellationToken cancellationToken)
        {
            ModelListings++;
            return ModelListError != null
                ? Task.FromException<IReadOnlyList<ImportedModel>>(ModelListError)
                : Task.FromResult<IReadOnlyList<ImportedModel>>(Models.Where(m => m.ModelName.Contains(nameContains)).ToList());
        }

        public Task<IReadOnlyList<ModelImportJob>> ListInProgressJobsAsync(CancellationToken cancellationToken)
            => Task.FromResult<IReadOnlyList<ModelImportJob>>(Jobs.ToList());

        public Task<IReadOnlyList<Tag>> ListTagsForResourceAsync(string resourceArn, CancellationToken cancellationToken)
        {
            TagLookups++;
            return Task.FromResult<IReadOnlyList<Tag>>(_tags[resourceArn]);
        }

        public Task<ImportedModel> GetImportedModelAsync(string modelArn, CancellationToken cancellationToken)
            => Task.FromResult(Models.Single(m => m.ModelArn == modelArn));

        public Task<ModelImportJob> GetModelImportJobAsync(string jobArn, CancellationToken cancellationToken)
            => Task.FromResult(Jobs.Single(j => j.JobArn == jobArn));

        /// <summary>Imported models and concurrent jobs allowed; usage is the fake's models and InProgress jobs.</summary>
        public (double Models, double Jobs) QuotaValues { get; set; } = (100, 20);
        public AwsServiceException QuotaError { get; set; }
        public int QuotaReads { get; private set; }

        /// <summary>Called on each quota read (a test finishes a job here).</summary>
        public Action<int> OnQuotaRead { get; set; }

        public Task<IReadOnlyList<ImportQuota>> GetImportQuotasAsync(CancellationToken cancellationToken)
        {
            QuotaReads++;
            OnQuotaRead?.Invoke(QuotaReads);
            if (QuotaError != null) return Task.FromException<IReadOnlyList<ImportQuota>>(QuotaError);
            return Task.FromResult<IReadOnlyList<ImportQuota>>(new[]
            {
                new ImportQuota { Kind = ImportQuotaKind.ImportedModels, Name = "Imported models per account", AppliedValue = QuotaValues.Models, Adjustable = true, Usage = Models.Count, Region = "us-east-1" },
                new ImportQuota { Kind = ImportQuotaKind.ConcurrentImportJobs, Name = "Concurrent model import jobs", AppliedValue = QuotaValues.Jobs, Adjustable = true, Usage = Jobs.Count(j => j.Status == "InProgress"), Region = "us-east-1" },
            });
        }

        private sealed class CountingSource : IModelSource
        {
            private readonly FakeServices _owner;

            public CountingSource(FakeServices owner) => _owner = owner;

            public string Location => _owner.Source.Location;
            public bool IsLocal => false;

            public Task<IReadOnlyList<ModelSourceFile>> ListFilesAsync(CancellationToken cancellationToken)
            {
                _owner.Listings++;
                return _owner.ListError != null ? Task.FromException<IReadOnlyList<ModelSourceFile>>(_owner.ListError) : _owner.Source.ListFilesAsync(cancellationToken);
            }

            public Task<Stream> OpenRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
                => _owner.Source.OpenRangeAsync(path, offset, length, cancellationToken);
        }
    }
}

using System.Text.Json;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Json;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>One import job as stored on disk. Its status is computed from the clock (see ImportJobStore.StatusOf),
/// so a restarted endpoint continues where it was.</summary>
internal sealed class ImportJobRecord
{
    public string JobId { get; set; } = "";
    public string JobArn { get; set; } = "";
    public string JobName { get; set; } = "";
    public string ImportedModelName { get; set; } = "";
    public string ImportedModelArn { get; set; } = "";
    public string RoleArn { get; set; } = "";
    public string S3Uri { get; set; } = "";
    public string? ClientRequestToken { get; set; }
    public DateTimeOffset CreationTime { get; set; }
    /// <summary>When the job leaves InProgress (creation + the import-duration knob at creation).</summary>
    public DateTimeOffset EndTime { get; set; }
    /// <summary>Decided at creation from the validation of the S3 folder (or the forced-failure knob); null = succeeds.</summary>
    public string? FailureMessage { get; set; }
    public string? ModelArchitecture { get; set; }
    public bool InstructSupported { get; set; }
    public int CustomModelUnitsPerModelCopy { get; set; }
    public List<Tag>? JobTags { get; set; }
    public List<Tag>? ImportedModelTags { get; set; }
    public VpcConfig? VpcConfig { get; set; }
    public string? ImportedModelKmsKeyArn { get; set; }
    /// <summary>Set by DeleteImportedModel; the job stays listed.</summary>
    public DateTimeOffset? ModelDeletedTime { get; set; }
}

internal enum ImportJobStatus
{
    InProgress,
    Completed,
    Failed,
}

/// <summary>Import jobs (and so imported models) persisted as one JSON file per job under the data directory.</summary>
internal sealed class ImportJobStore
{
    private readonly string _folder;
    private readonly TimeProvider _clock;
    private readonly object _lock = new();
    private readonly List<ImportJobRecord> _jobs = new();

    public ImportJobStore(string folder, TimeProvider clock)
    {
        _folder = folder;
        _clock = clock;
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.EnumerateFiles(folder, "*.json"))
        {
            var record = JsonSerializer.Deserialize<ImportJobRecord>(File.ReadAllText(file), EngineJson.Options);
            if (record is not null) _jobs.Add(record);
        }
    }

    public DateTimeOffset Now => _clock.GetUtcNow();

    public ImportJobStatus StatusOf(ImportJobRecord job)
        => Now < job.EndTime ? ImportJobStatus.InProgress : job.FailureMessage is null ? ImportJobStatus.Completed : ImportJobStatus.Failed;

    /// <summary>The model exists once its job completed, until it is deleted.</summary>
    public bool ModelExists(ImportJobRecord job) => StatusOf(job) == ImportJobStatus.Completed && job.ModelDeletedTime is null;

    public List<ImportJobRecord> Jobs()
    {
        lock (_lock) return _jobs.ToList();
    }

    /// <summary>Adds a job unless check (run under the lock) returns an existing one or throws.</summary>
    public ImportJobRecord Add(ImportJobRecord job, Func<List<ImportJobRecord>, ImportJobRecord?> check)
    {
        lock (_lock)
        {
            var existing = check(_jobs);
            if (existing is not null) return existing;
            Save(job);
            _jobs.Add(job);
            return job;
        }
    }

    public void Update(ImportJobRecord job, Action<ImportJobRecord> change)
    {
        lock (_lock)
        {
            change(job);
            Save(job);
        }
    }

    private void Save(ImportJobRecord job)
    {
        var path = Path.Combine(_folder, job.JobId + ".json");
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(job, EngineJson.Options));
        File.Move(temp, path, overwrite: true);
    }
}

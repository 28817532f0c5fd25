using System.Text.Json.Serialization;

namespace BedrockImport.LocalEndpoint.Knobs;

// Scoped values ("latencyMs", "throttleRate", ...) are maps from a scope to a value. The most specific scope wins:
// "service:Operation" (e.g. "s3:PutObject", "bedrock:InvokeModel"), then "service" ("s3"), then "*".

/// <summary>Behaviour switches of the local endpoint: config file "knobs" section, GET/PUT /_admin/knobs.</summary>
public sealed partial class Knobs
{
    /// <summary>Seed of every pseudo-random decision (fault injection, the text generator).</summary>
    public int Seed { get; set; }

    /// <summary>Added latency per call in milliseconds, by scope.</summary>
    public Dictionary<string, int> LatencyMs { get; set; } = new();

    /// <summary>Probability 0..1 that a call is throttled (S3 SlowDown 503 / ThrottlingException 429), by scope.</summary>
    public Dictionary<string, double> ThrottleRate { get; set; } = new();

    /// <summary>Probability 0..1 of an internal error (S3 InternalError 500 / InternalServerException 500), by scope.</summary>
    public Dictionary<string, double> InternalErrorRate { get; set; } = new();

    /// <summary>Probability 0..1 that the connection is aborted without an answer, by scope.</summary>
    public Dictionary<string, double> DropConnectionRate { get; set; } = new();

    /// <summary>Bedrock behaviour (import duration, ModelNotReady windows, ...); extend as a partial class in Bedrock/.</summary>
    public BedrockKnobs Bedrock { get; set; } = new();

    /// <summary>Free-form extra settings for services without a typed section.</summary>
    [JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Extra { get; set; }

    public int LatencyFor(string service, string? operation) => Lookup(LatencyMs, service, operation);

    public double ThrottleRateFor(string service, string? operation) => Lookup(ThrottleRate, service, operation);

    public double InternalErrorRateFor(string service, string? operation) => Lookup(InternalErrorRate, service, operation);

    public double DropConnectionRateFor(string service, string? operation) => Lookup(DropConnectionRate, service, operation);

    /// <summary>Problems that make these knobs unusable (rates outside 0..1, negative latencies); empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        foreach (var (name, map) in new[] { ("throttleRate", ThrottleRate), ("internalErrorRate", InternalErrorRate), ("dropConnectionRate", DropConnectionRate) })
            foreach (var pair in map ?? new())
                if (pair.Value is < 0 or > 1 || double.IsNaN(pair.Value))
                    yield return $"{name}[\"{pair.Key}\"] must be between 0 and 1.";
        foreach (var pair in LatencyMs ?? new())
            if (pair.Value < 0)
                yield return $"latencyMs[\"{pair.Key}\"] must not be negative.";
        foreach (var problem in Bedrock?.ValidateEngine() ?? Enumerable.Empty<string>())
            yield return problem;
    }

    public static T Lookup<T>(Dictionary<string, T>? map, string service, string? operation) where T : struct
    {
        if (map is null || map.Count == 0)
            return default;
        if (operation is not null && map.TryGetValue(service + ":" + operation, out var specific))
            return specific;
        if (map.TryGetValue(service, out var byService))
            return byService;
        return map.TryGetValue("*", out var all) ? all : default;
    }
}

/// <summary>Knobs of the Bedrock control plane and runtime (read by the Bedrock handlers).</summary>
public sealed partial class BedrockKnobs
{
    /// <summary>How long an import job stays InProgress before it completes.</summary>
    public int ImportDurationMs { get; set; } = 3000;

    /// <summary>When set, every import job fails with this failureMessage.</summary>
    public string? ForcedImportFailure { get; set; }

    /// <summary>After an import completes, InvokeModel answers ModelNotReadyException for this long.</summary>
    public int ModelNotReadyAfterImportMs { get; set; }

    /// <summary>After the model was idle this long, the next invocation starts a ModelNotReady window.</summary>
    public int IdleBeforeColdStartMs { get; set; }

    /// <summary>Length of the ModelNotReady window after idle.</summary>
    public int ModelNotReadyAfterIdleMs { get; set; }

    /// <summary>Latency per generated token in milliseconds (runtime).</summary>
    public int PerTokenLatencyMs { get; set; }

    /// <summary>Reproduces the field report: the service ignores the stop sequences of a request.</summary>
    public bool IgnoreStop { get; set; }
}

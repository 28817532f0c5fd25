using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;
using BedrockImport.Soak;

// The soak of issue 14: N concurrent clients mix invokes, streams, uploads and list calls against one local endpoint for
// a bounded time, then the run is checked (no request lost or answered twice, every answer its own request's, every
// multipart upload completed or aborted, the endpoint's RSS flat after warm-up). Prints the figures as JSON (also written
// to --result) and exits 1 when an invariant fails, 2 on a usage error.
SoakOptions options;
try
{
    options = SoakOptions.Parse(args);
}
catch (ArgumentException error)
{
    Console.Error.WriteLine(error.Message);
    Console.Error.WriteLine(SoakOptions.Usage);
    return 2;
}

var report = await SoakRun.RunAsync(options).ConfigureAwait(false);
var json = report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
if (options.ResultPath != null) await File.WriteAllTextAsync(options.ResultPath, json).ConfigureAwait(false);
Console.WriteLine(report.ToJsonString());
return report["passed"]!.GetValue<bool>() ? 0 : 1;

internal sealed class SoakOptions
{
    public const string Usage = "Soak --endpoint-url URL --region R --access-key K --secret-key S --endpoint-pid PID --model-arn ARN " +
        "--bucket B --model-prefix P [--clients 64] [--seconds 25] [--warmup-seconds 8] [--book-keys 1024] [--seed 1] " +
        "[--latency-ms 10] [--per-token-ms 2] [--fault-rate 0.02] [--max-slope-mib-per-min 120] [--heap-slack-mib 8] [--max-retained-bytes-per-request 64] " +
        "[--request-timeout-seconds 60] [--result PATH]";

    public string EndpointUrl { get; private set; } = "";
    public string Region { get; private set; } = "";
    public string AccessKey { get; private set; } = "";
    public string SecretKey { get; private set; } = "";
    public int EndpointProcessId { get; private set; }
    public string ModelArn { get; private set; } = "";
    public string Bucket { get; private set; } = "";
    public string ModelPrefix { get; private set; } = "";
    public int Clients { get; private set; } = 64;
    public double Seconds { get; private set; } = 25;
    public double WarmupSeconds { get; private set; } = 8;
    public int BookKeys { get; private set; } = 1024;
    public int Seed { get; private set; } = 1;
    public int LatencyMs { get; private set; } = 10;
    public int PerTokenMs { get; private set; } = 2;
    public double FaultRate { get; private set; } = 0.02;
    public double MaxSlopeMiBPerMinute { get; private set; } = 120;
    public int RequestTimeoutSeconds { get; private set; } = 60;
    public double HeapSlackMiB { get; private set; } = 8;
    public double MaxRetainedBytesPerRequest { get; private set; } = 64;
    public string? ResultPath { get; private set; }

    public static SoakOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length) throw new ArgumentException($"Expected '--name value' at '{args[i]}'.");
            values[args[i].Substring(2)] = args[i + 1];
        }

        string Required(string name) => values.TryGetValue(name, out var v) && v.Length > 0 ? v : throw new ArgumentException($"--{name} is required.");
        T Optional<T>(string name, T fallback) where T : IParsable<T>
            => values.TryGetValue(name, out var v) ? T.Parse(v, CultureInfo.InvariantCulture) : fallback;

        var options = new SoakOptions
        {
            EndpointUrl = Required("endpoint-url").TrimEnd('/'),
            Region = Required("region"),
            AccessKey = Required("access-key"),
            SecretKey = Required("secret-key"),
            EndpointProcessId = int.Parse(Required("endpoint-pid"), CultureInfo.InvariantCulture),
            ModelArn = Required("model-arn"),
            Bucket = Required("bucket"),
            ModelPrefix = Required("model-prefix"),
            Clients = Optional("clients", 64),
            Seconds = Optional("seconds", 25.0),
            WarmupSeconds = Optional("warmup-seconds", 8.0),
            BookKeys = Optional("book-keys", 1024),
            Seed = Optional("seed", 1),
            LatencyMs = Optional("latency-ms", 10),
            PerTokenMs = Optional("per-token-ms", 2),
            FaultRate = Optional("fault-rate", 0.02),
            MaxSlopeMiBPerMinute = Optional("max-slope-mib-per-min", 120.0),
            RequestTimeoutSeconds = Optional("request-timeout-seconds", 60),
            HeapSlackMiB = Optional("heap-slack-mib", 8.0),
            MaxRetainedBytesPerRequest = Optional("max-retained-bytes-per-request", 64.0),
            ResultPath = values.TryGetValue("result", out var result) ? result : null,
        };
        if (options.Clients < 1 || options.Seconds <= options.WarmupSeconds || options.BookKeys < 1)
            throw new ArgumentException("--clients must be at least 1, --seconds above --warmup-seconds, --book-keys at least 1.");
        return options;
    }
}

internal static class SoakRun
{
    /// <summary>The operations that get injected faults (list calls only, so no upload or answer depends on a retry the
    /// soak does not make): throttles on one, internal errors on the others.</summary>
    private static readonly string[] ThrottledOperations = { "bedrock:ListModelImportJobs" };
    private static readonly string[] FailingOperations = { "bedrock:ListImportedModels", "s3:ListObjectsV2" };
    private static readonly string[] LatencyOperations = { "bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:Converse", "bedrock:ConverseStream" };

    /// <summary>Seconds the clients get, after the run's end, to finish what they have in flight.</summary>
    private const int DrainSeconds = 90;

    public static async Task<JsonObject> RunAsync(SoakOptions options)
    {
        var shared = new SoakShared(options);
        var session = AwsSessionResolver.Resolve(new CredentialRequest
        {
            AccessKey = options.AccessKey, SecretKey = options.SecretKey, Region = options.Region, EndpointUrl = options.EndpointUrl,
        }, ProcessEnvironment.Instance, NullEngineLog.Instance);

        // One attempt per call: a retry would be a second request the endpoint counts, and the soak compares counts.
        var once = new RetryOptions { MaxAttempts = 1, RequestTimeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds) };
        var s3Clients = Enumerable.Range(0, options.Clients).Select(_ => S3ClientFactory.Create(session, once)).ToList();
        await PrepareAsync(shared, s3Clients[0]).ConfigureAwait(false);

        var clients = Enumerable.Range(0, options.Clients).Select(i => new SoakClient(i, shared, session, once, s3Clients[i])).ToList();
        var sampler = new ProcessSampler(options.EndpointProcessId);
        var clock = Stopwatch.StartNew();
        using var stopSampling = new CancellationTokenSource();
        var sampling = sampler.RunAsync(clock, stopSampling.Token);

        // Two phases with a pause between: the warm-up, then the measured run. At each pause no request is in flight, and
        // the endpoint's heap after a full collection is what it still holds: the measured run must not add to it.
        var warmup = await RunPhaseAsync(clients, options.WarmupSeconds).ConfigureAwait(false);
        var baseline = await MemoryAsync(shared, collect: true).ConfigureAwait(false);
        var measuredFrom = clock.Elapsed.TotalSeconds;
        var requestsBefore = shared.Ledger.Operations.Values.Sum(t => t.Sent);
        var measured = warmup.Drained ? await RunPhaseAsync(clients, options.Seconds - options.WarmupSeconds).ConfigureAwait(false) : warmup;
        var measuredSeconds = clock.Elapsed.TotalSeconds - measuredFrom;
        var measuredRequests = shared.Ledger.Operations.Values.Sum(t => t.Sent) - requestsBefore;
        var final = await MemoryAsync(shared, collect: true).ConfigureAwait(false);
        var runSeconds = clock.Elapsed.TotalSeconds;

        stopSampling.Cancel();
        await sampling.ConfigureAwait(false);
        var peakKiB = sampler.StatusKiB("VmHWM");
        var heap = new HeapFigures(baseline, final, measuredFrom, measuredSeconds, measuredRequests);
        var workerFaults = warmup.Faults.Concat(measured.Faults).ToList();
        var drained = warmup.Drained && measured.Drained;

        var end = await CheckEndAsync(shared, s3Clients[0]).ConfigureAwait(false);
        var stats = await shared.Admin.GetFromJsonAsync<JsonObject>($"{options.EndpointUrl}/_admin/stats").ConfigureAwait(false);
        var health = await TryHealthAsync(shared).ConfigureAwait(false);
        foreach (var client in s3Clients) client.Dispose();

        return Report(shared, sampler.Samples, peakKiB, heap, stats!, end, runSeconds, drained, workerFaults, health);
    }

    private sealed record PhaseResult(bool Drained, List<string> Faults);

    /// <summary>Every client runs for the phase's seconds, then finishes the request it is in (within the drain time).</summary>
    private static async Task<PhaseResult> RunPhaseAsync(List<SoakClient> clients, double seconds)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var workers = clients.Select(c => Task.Run(() => c.RunAsync(stop.Token))).ToList();
        var all = Task.WhenAll(workers);
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(seconds + DrainSeconds))).ConfigureAwait(false);
        return new PhaseResult(all.IsCompleted, workers.Where(w => w.IsFaulted).Select(w => w.Exception!.GetBaseException().ToString()).Take(3).ToList());
    }

    /// <summary>The endpoint's /_admin/memory (after a full collection when collect is set), or null if it has none.</summary>
    private static async Task<JsonObject?> MemoryAsync(SoakShared shared, bool collect)
    {
        using var answer = await shared.Admin.GetAsync($"{shared.Options.EndpointUrl}/_admin/memory{(collect ? "?collect=true" : "")}").ConfigureAwait(false);
        return answer.IsSuccessStatusCode ? await answer.Content.ReadFromJsonAsync<JsonObject>().ConfigureAwait(false) : null;
    }

    private sealed record HeapFigures(JsonObject? Baseline, JsonObject? Final, double MeasuredFrom, double MeasuredSeconds, long MeasuredRequests)
    {
        public long? LiveBytes(JsonObject? memory) => memory?["liveHeapBytes"]?.GetValue<long>();
    }

    /// <summary>Sets the knobs (latency on the runtime, faults on some list calls), counts the model's objects and
    /// resets the endpoint's stats, so they hold the soak's calls alone.</summary>
    private static async Task PrepareAsync(SoakShared shared, AmazonS3Client s3)
    {
        var options = shared.Options;
        var knobs = (await shared.Admin.GetFromJsonAsync<JsonObject>($"{options.EndpointUrl}/_admin/knobs").ConfigureAwait(false))!;
        knobs["seed"] = options.Seed;
        knobs["latencyMs"] = Map(LatencyOperations, options.LatencyMs);
        knobs["throttleRate"] = Map(ThrottledOperations, options.FaultRate);
        knobs["internalErrorRate"] = Map(FailingOperations, options.FaultRate);
        var bedrock = knobs["bedrock"] as JsonObject ?? new JsonObject();
        bedrock["perTokenLatencyMs"] = options.PerTokenMs;
        knobs["bedrock"] = bedrock;
        using (var put = await shared.Admin.PutAsync($"{options.EndpointUrl}/_admin/knobs",
                   new StringContent(knobs.ToJsonString(), System.Text.Encoding.UTF8, "application/json")).ConfigureAwait(false))
        {
            put.EnsureSuccessStatusCode();
        }

        var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = options.Bucket, Prefix = options.ModelPrefix }).ConfigureAwait(false);
        shared.ExpectedModelObjects = listing.KeyCount ?? 0;
        if (shared.ExpectedModelObjects == 0) throw new InvalidOperationException($"No objects under s3://{options.Bucket}/{options.ModelPrefix}: the model's prefix is needed for the list calls.");
        using var reset = await shared.Admin.DeleteAsync($"{options.EndpointUrl}/_admin/stats").ConfigureAwait(false);
        reset.EnsureSuccessStatusCode();
    }

    private static JsonObject Map<T>(IEnumerable<string> operations, T value)
    {
        var map = new JsonObject();
        foreach (var operation in operations) map[operation] = JsonValue.Create(value);
        return map;
    }

    private sealed record EndState(int ListedUploads, int AdminListedUploads, int FoldersOnDisk, int ObjectsLeft, string? ListError);

    /// <summary>After the drain: the bucket's open multipart uploads, through S3 (counted as a soak request) and the admin
    /// API, and the upload objects left behind (every completed one was deleted after its check).</summary>
    private static async Task<EndState> CheckEndAsync(SoakShared shared, AmazonS3Client s3)
    {
        var options = shared.Options;
        var id = shared.Ledger.Send("s3:ListMultipartUploads");
        int listed = -1;
        string? error = null;
        var clock = Stopwatch.StartNew();
        try
        {
            var answer = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = options.Bucket }).ConfigureAwait(false);
            listed = answer.MultipartUploads?.Count ?? 0;
            shared.Ledger.Record(id, Outcome.Ok, clock.Elapsed.TotalMilliseconds);
        }
        catch (Exception e)
        {
            error = e.Message;
            shared.Ledger.Record(id, Outcome.NoAnswer, clock.Elapsed.TotalMilliseconds, detail: e.Message);
        }

        var admin = await shared.Admin.GetFromJsonAsync<JsonObject>($"{options.EndpointUrl}/_admin/s3/multipart-uploads").ConfigureAwait(false);
        var adminListed = admin?["uploads"]?.AsArray().Count(u => (string?)u?["bucket"] == options.Bucket) ?? -1;
        var folders = (int?)admin?["foldersOnDisk"] ?? -1;
        var objects = await shared.Admin.GetFromJsonAsync<AdminObjects>(
            $"{options.EndpointUrl}/_admin/s3/objects?bucket={Uri.EscapeDataString(options.Bucket)}&prefix=soak-uploads/").ConfigureAwait(false);
        return new EndState(listed, adminListed, folders, objects?.Objects?.Count ?? -1, error);
    }

    private static async Task<bool> TryHealthAsync(SoakShared shared)
    {
        try
        {
            using var answer = await shared.Admin.GetAsync($"{shared.Options.EndpointUrl}/_admin/health").ConfigureAwait(false);
            return answer.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static JsonObject Report(SoakShared shared, IReadOnlyList<ProcessSample> samples, long? peakKiB, HeapFigures heap, JsonObject stats, EndState end,
        double runSeconds, bool drained, List<string> workerFaults, bool healthy)
    {
        var options = shared.Options;
        var ledger = shared.Ledger;
        var operations = stats["operations"] as JsonObject ?? new JsonObject();
        var invariants = new JsonArray();
        void Check(string name, bool passed, string detail) => invariants.Add(new JsonObject { ["name"] = name, ["passed"] = passed, ["detail"] = detail });

        var requests = new JsonObject();
        var countMismatches = new List<string>();
        var unexpectedErrors = new List<string>();
        long sent = 0, answered = 0, noAnswer = 0, mismatched = 0, cancelled = 0, httpErrors = 0, injected = 0, tooMany = 0;
        foreach (var (operation, tally) in ledger.Operations.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var endpoint = operations[operation] as JsonObject;
            var calls = endpoint?["calls"]?.GetValue<long>() ?? 0;
            var faults = (endpoint?["throttled"]?.GetValue<long>() ?? 0) + (endpoint?["internalErrors"]?.GetValue<long>() ?? 0);
            sent += tally.Sent;
            noAnswer += tally.NoAnswer;
            mismatched += tally.Mismatched;
            cancelled += tally.Cancelled;
            httpErrors += tally.HttpErrors;
            injected += faults;
            answered += tally.Ok + tally.Mismatched + tally.HttpErrors + tally.Cancelled;
            // Every request the client sent reached the endpoint once: a cancelled part upload may have been cancelled
            // before its request left, so those may be missing, never added.
            if (calls > tally.Sent) tooMany += calls - tally.Sent;
            if (calls > tally.Sent || calls < tally.Sent - tally.Cancelled - tally.NoAnswer)
                countMismatches.Add($"{operation}: client sent {tally.Sent} ({tally.Cancelled} cancelled), endpoint counted {calls}");
            if (tally.HttpErrors != faults)
                unexpectedErrors.Add($"{operation}: {tally.HttpErrors} error answers ({string.Join(", ", tally.Statuses.Select(s => $"{s.Value}× {s.Key}"))}), {faults} injected; e.g. {string.Join(" | ", tally.Details)}");
            requests[operation] = new JsonObject
            {
                ["sent"] = tally.Sent, ["ok"] = tally.Ok, ["mismatched"] = tally.Mismatched, ["cancelled"] = tally.Cancelled,
                ["httpErrors"] = JsonSerializer.SerializeToNode(tally.Statuses.ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => s.Value)),
                ["noAnswer"] = tally.NoAnswer, ["endpointCalls"] = calls, ["injectedFaults"] = faults,
                ["p50Ms"] = tally.Percentile(0.50), ["p99Ms"] = tally.Percentile(0.99),
                ["errorExamples"] = JsonSerializer.SerializeToNode(tally.Details),
            };
        }

        var pending = ledger.Pending;
        var lost = noAnswer + pending.Count;
        var duplicated = ledger.DuplicateOutcomes + tooMany;
        Check("allDrained", drained && workerFaults.Count == 0, drained ? (workerFaults.Count == 0 ? "every client ended" : string.Join(" | ", workerFaults)) : $"clients still busy {DrainSeconds} s after the end");
        Check("noLost", lost == 0, $"{noAnswer} without an answer, {pending.Count} still pending ({string.Join(", ", pending.Take(5))})");
        Check("noDuplicated", duplicated == 0, $"{ledger.DuplicateOutcomes} second outcomes, {tooMany} endpoint calls beyond those sent");
        Check("answersMatchRequests", mismatched == 0, $"{mismatched} answers that are not their request's");
        Check("endpointCountsMatch", countMismatches.Count == 0, countMismatches.Count == 0 ? "each operation's endpoint calls equal the requests sent" : string.Join("; ", countMismatches));
        Check("onlyInjectedErrors", unexpectedErrors.Count == 0, unexpectedErrors.Count == 0 ? $"{httpErrors} error answers, all {injected} injected by the fault knobs" : string.Join("; ", unexpectedErrors));
        var kindsMissing = new[] { "bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:Converse", "bedrock:ConverseStream",
            "bedrock:ListImportedModels", "bedrock:ListModelImportJobs", "s3:ListObjectsV2", "s3:CreateMultipartUpload", "s3:UploadPart",
            "s3:CompleteMultipartUpload", "s3:AbortMultipartUpload" }.Where(k => !ledger.Operations.TryGetValue(k, out var t) || t.Ok == 0).ToList();
        Check("everyKindServed", kindsMissing.Count == 0, kindsMissing.Count == 0 ? "every kind answered at least once" : "never answered: " + string.Join(", ", kindsMissing));
        Check("endpointHealthy", healthy, healthy ? "/_admin/health answers after the soak" : "/_admin/health does not answer");

        var started = Interlocked.Read(ref shared.UploadsStarted);
        var completed = Interlocked.Read(ref shared.UploadsCompleted);
        var verified = Interlocked.Read(ref shared.UploadsVerified);
        var aborted = Interlocked.Read(ref shared.UploadsAborted);
        var uploadsOk = started == completed + aborted && verified == completed && shared.OpenUploads.IsEmpty
            && end.ListedUploads == 0 && end.AdminListedUploads == 0 && end.FoldersOnDisk == 0 && end.ObjectsLeft == 0;
        Check("uploadsAccounted", uploadsOk, $"{started} started = {completed} completed ({verified} verified) + {aborted} aborted; " +
            $"{shared.OpenUploads.Count} left open by the clients; ListMultipartUploads lists {end.ListedUploads}{(end.ListError != null ? " (" + end.ListError + ")" : "")}, " +
            $"the admin API {end.AdminListedUploads} ({end.FoldersOnDisk} upload folders on disk); {end.ObjectsLeft} upload objects left");

        var after = samples.Where(s => s.Seconds >= heap.MeasuredFrom && s.Seconds <= heap.MeasuredFrom + heap.MeasuredSeconds).ToList();
        var slope = ProcessSampler.SlopeMiBPerMinute(after, heap.MeasuredFrom);
        var warm = after.FirstOrDefault();
        var last = after.LastOrDefault();
        Check("rssFlat", slope != null && slope <= options.MaxSlopeMiBPerMinute,
            slope == null ? $"too few RSS samples after warm-up ({after.Count})" : $"RSS slope after warm-up {slope:F1} MiB/min (bound {options.MaxSlopeMiBPerMinute} MiB/min)");

        var baselineLive = heap.LiveBytes(heap.Baseline);
        var finalLive = heap.LiveBytes(heap.Final);
        var growth = baselineLive == null || finalLive == null ? (long?)null : finalLive.Value - baselineLive.Value;
        var allowedGrowth = (long)(options.HeapSlackMiB * 1024 * 1024 + options.MaxRetainedBytesPerRequest * heap.MeasuredRequests);
        Check("heapFlat", growth != null && growth <= allowedGrowth,
            growth == null ? "the endpoint has no /_admin/memory" :
            $"live heap after a full collection {Mib(baselineLive!.Value):F1} MiB after warm-up, {Mib(finalLive!.Value):F1} MiB at the end: " +
            $"{growth / 1024.0:F0} KiB over {heap.MeasuredRequests} requests (bound {options.HeapSlackMiB} MiB + {options.MaxRetainedBytesPerRequest} B per request = {allowedGrowth / 1024.0:F0} KiB)");

        var requestRate = sent / Math.Max(runSeconds, 1);
        var cpuSeconds = samples.Count >= 2 ? samples[^1].CpuSeconds - samples[0].CpuSeconds : (double?)null;
        return new JsonObject
        {
            ["passed"] = invariants.All(i => i!["passed"]!.GetValue<bool>()),
            ["settings"] = new JsonObject
            {
                ["clients"] = options.Clients, ["seconds"] = options.Seconds, ["warmupSeconds"] = options.WarmupSeconds, ["bookKeys"] = options.BookKeys,
                ["seed"] = options.Seed, ["latencyMs"] = options.LatencyMs, ["perTokenMs"] = options.PerTokenMs, ["faultRate"] = options.FaultRate,
                ["maxSlopeMiBPerMinute"] = options.MaxSlopeMiBPerMinute, ["heapSlackMiB"] = options.HeapSlackMiB,
                ["maxRetainedBytesPerRequest"] = options.MaxRetainedBytesPerRequest,
            },
            ["runSeconds"] = Math.Round(runSeconds, 1),
            ["totals"] = new JsonObject
            {
                ["sent"] = sent, ["answered"] = answered, ["lost"] = lost, ["duplicated"] = duplicated, ["mismatched"] = mismatched,
                ["cancelled"] = cancelled, ["httpErrors"] = httpErrors, ["injectedFaults"] = injected, ["requestsPerSecond"] = Math.Round(requestRate, 1),
            },
            ["requests"] = requests,
            ["uploads"] = new JsonObject
            {
                ["started"] = started, ["completed"] = completed, ["verified"] = verified, ["aborted"] = aborted,
                ["partsCancelled"] = Interlocked.Read(ref shared.PartsCancelled), ["verifyFailures"] = Interlocked.Read(ref shared.VerifyFailures),
                ["openAtEnd"] = shared.OpenUploads.Count, ["listedAtEnd"] = end.ListedUploads, ["adminListedAtEnd"] = end.AdminListedUploads, ["foldersOnDiskAtEnd"] = end.FoldersOnDisk, ["objectsLeft"] = end.ObjectsLeft,
            },
            ["memory"] = new JsonObject
            {
                ["samples"] = samples.Count,
                ["startRssMiB"] = Round(samples.FirstOrDefault().RssMiB),
                ["warmupRssMiB"] = Round(warm.RssMiB),
                ["endRssMiB"] = Round(last.RssMiB),
                ["maxRssMiB"] = Round(samples.Count == 0 ? 0 : samples.Max(s => s.RssMiB)),
                ["peakRssMiB"] = peakKiB == null ? null : Round(peakKiB.Value / 1024.0),
                ["slopeMiBPerMinute"] = slope == null ? null : Round(slope.Value),
                ["liveHeapAfterWarmupMiB"] = baselineLive == null ? null : Round(Mib(baselineLive.Value)),
                ["liveHeapAtEndMiB"] = finalLive == null ? null : Round(Mib(finalLive.Value)),
                ["liveHeapGrowthBytesPerRequest"] = growth == null || heap.MeasuredRequests == 0 ? null : Math.Round((double)growth.Value / heap.MeasuredRequests, 1),
                ["measuredFromSeconds"] = Math.Round(heap.MeasuredFrom, 1),
                ["endpointCpuSeconds"] = cpuSeconds == null ? null : Round(cpuSeconds.Value),
                ["series"] = JsonSerializer.SerializeToNode(samples.Select(s => new[] { Math.Round(s.Seconds, 1), Round(s.RssMiB) })),
            },
            ["invariants"] = invariants,
        };
    }

    private static double Round(double value) => Math.Round(value, 2);

    private static double Mib(long bytes) => bytes / 1024.0 / 1024.0;
}

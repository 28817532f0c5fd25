using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Engine.Transfer;
using BedrockImport.Inference.Generation;
using BedrockImport.Inference.Model;
using BedrockImport.Inference.Tokenization;
using BedrockImport.LocalEndpoint.Hosting;
using BedrockImport.LocalEndpoint.Knobs;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>Sampling settings of one request; Temperature 0 is greedy.</summary>
internal sealed record Sampling(float Temperature, float TopP, int TopK)
{
    /// <summary>vLLM's defaults when the request names none.</summary>
    public static readonly Sampling Default = new(1f, 1f, 0);

    /// <summary>temperature / top_p / top_k of an InvokeModel body (all three formats name them so).</summary>
    public static Sampling FromInvokeBody(byte[] bytes) => Read(Root(bytes), "temperature", "top_p", "top_k");

    /// <summary>Converse's inferenceConfig.temperature / topP, and top_k from additionalModelRequestFields.</summary>
    public static Sampling FromConverseBody(byte[] bytes)
    {
        var root = Root(bytes);
        var config = Read(root?["inferenceConfig"] as JsonObject, "temperature", "topP", null);
        var extra = Read(root?["additionalModelRequestFields"] as JsonObject, null, null, "top_k");
        return config with { TopK = extra.TopK };
    }

    private static JsonObject? Root(byte[] bytes)
    {
        try
        {
            return JsonNode.Parse(bytes) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Sampling Read(JsonObject? body, string? temperature, string? topP, string? topK)
    {
        var t = Number(body, temperature) ?? Default.Temperature;
        var p = Number(body, topP) ?? Default.TopP;
        var k = Number(body, topK) ?? Default.TopK;
        if (t < 0 || double.IsNaN(t) || p <= 0 || p > 1 || double.IsNaN(p) || k < 0 || k != Math.Floor(k) || k > int.MaxValue)
            throw BedrockError.Validation("Malformed input request: temperature must be ≥ 0, top_p in (0, 1] and top_k a whole number ≥ 0. Please reformat your input and try again.");
        return new Sampling((float)t, (float)p, (int)k);
    }

    private static double? Number(JsonObject? body, string? member)
    {
        if (member is null || body?[member] is not JsonValue value) return null;
        if (value.GetValueKind() != JsonValueKind.Number || !value.TryGetValue<double>(out var number))
            throw BedrockError.Validation($"Malformed input request: '{member}' must be a number. Please reformat your input and try again.");
        return number;
    }
}

/// <summary>Which engine answers an imported model, and why (the /_admin/models report).</summary>
internal sealed record EngineChoice(string Engine, string State, string? Reason);

/// <summary>The outcome of a weights generation: the pieces (one per generated token, in the shape the stand-in's
/// answers use) and whether a stop sequence cut it.</summary>
internal sealed record WeightsGeneration(Generation Generation, bool StoppedBySequence);

/// <summary>
/// The "weights" engine (knob bedrock.engine): an imported model whose folder BedrockImport.Inference runs is answered by
/// its own weights on the CPU.
/// <list type="bullet">
/// <item>The folder: the S3 store keeps each object as DATA/s3/buckets/&lt;bucket&gt;/objects/&lt;sha256(key)&gt;.data, so the
/// import's files are hard-linked once per import under DATA/bedrock/engine/&lt;jobId&gt;/ with their real names (copied
/// where a hard link cannot be made). A hard link shares the bytes (no second copy of the weights) and is a snapshot:
/// S3 replaces an object by moving a new file over the name, so overwriting or deleting the S3 object later does not
/// change or break the mapped weights, as Bedrock's own copy made at import is not changed either.</item>
/// <item>Cold start: the first call starts loading in the background and answers ModelNotReadyException until the model
/// is in memory; a model idle for bedrock.engineIdleEvictMs is evicted and the next call loads it again.</item>
/// <item>An architecture the engine does not run (or a folder it cannot read) keeps the stand-in; the reason is reported.</item>
/// </list>
/// </summary>
internal sealed class WeightsEngine
{
    private const string CompleteMarker = ".materialised";

    private readonly EndpointContext _context;
    private readonly string _root;
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    public WeightsEngine(EndpointContext context)
    {
        _context = context;
        _root = Path.Combine(context.ServiceDataDirectory("bedrock"), "engine");
    }

    private sealed class Slot
    {
        public readonly object Gate = new();
        public bool Checked;
        public string? Unsupported;
        public string? Folder;
        public Task? Loading;
        public LoadedModel? Model;
        public DateTimeOffset LastUsed;
    }

    /// <summary>A model in memory; Gate serialises generations and eviction (eviction waits for no generation).</summary>
    internal sealed class LoadedModel
    {
        public LoadedModel(TransformerModel model, ModelTokenizer tokenizer)
        {
            Model = model;
            Tokenizer = tokenizer;
        }

        public TransformerModel Model { get; }
        public ModelTokenizer Tokenizer { get; }
        public object Gate { get; } = new();
        public bool Disposed { get; private set; }

        public void Dispose()
        {
            lock (Gate)
            {
                if (Disposed) return;
                Disposed = true;
                Model.Dispose();
            }
        }
    }

    /// <summary>The loaded model that answers <paramref name="job"/>, or null when the stand-in answers (knob off, or
    /// an architecture the engine does not run). Throws ModelNotReadyException while the model loads (and starts the load).</summary>
    public LoadedModel? Acquire(ImportJobRecord job, BedrockKnobs knobs)
    {
        // Idle models are evicted on every call, also once the knob went back to "stand-in".
        var now = _context.Clock.GetUtcNow();
        EvictIdle(now, knobs.EngineIdleEvictMs);
        if (!knobs.UsesWeights) return null;
        var slot = _slots.GetOrAdd(job.JobId, _ => new Slot());
        lock (slot.Gate)
        {
            if (!slot.Checked) Check(slot, job);
            if (slot.Unsupported is not null) return null;
            if (slot.Model is { } model)
            {
                slot.LastUsed = now;
                return model;
            }
            if (slot.Loading is null)
            {
                var folder = slot.Folder!;
                slot.Loading = Task.Run(() => Load(slot, folder));
            }
            throw ModelNotReady();
        }
    }

    internal static BedrockError ModelNotReady() => new(429, "ModelNotReadyException", BedrockRuntime.ModelNotReadyMessage);

    /// <summary>What answers <paramref name="job"/> under <paramref name="knobs"/>; does not load anything.</summary>
    public EngineChoice Describe(ImportJobRecord job, BedrockKnobs knobs)
    {
        if (!knobs.UsesWeights)
            return new EngineChoice(BedrockKnobs.StandInEngine, "stand-in", "the bedrock.engine knob is \"stand-in\"");
        var slot = _slots.GetOrAdd(job.JobId, _ => new Slot());
        lock (slot.Gate)
        {
            if (!slot.Checked) Check(slot, job);
            if (slot.Unsupported is not null)
                return new EngineChoice(BedrockKnobs.StandInEngine, "unsupported", slot.Unsupported);
            var state = slot.Model is not null ? "loaded" : slot.Loading is not null ? "loading" : "not-loaded";
            return new EngineChoice(BedrockKnobs.WeightsEngine, state, null);
        }
    }

    /// <summary>Materialises the folder and asks the engine whether it runs the architecture (config only, no weights).</summary>
    private void Check(Slot slot, ImportJobRecord job)
    {
        slot.Checked = true;
        try
        {
            slot.Folder = Materialise(job);
            var (supported, reason) = ModelConfig.CheckSupport(slot.Folder);
            if (!supported) slot.Unsupported = reason ?? "the engine does not run this model";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            slot.Unsupported = "the model folder could not be prepared: " + e.Message;
        }
    }

    private void Load(Slot slot, string folder)
    {
        LoadedModel? loaded = null;
        string? failure = null;
        try
        {
            var tokenizer = ModelTokenizer.Load(folder);
            loaded = new LoadedModel(TransformerModel.Load(folder), tokenizer);
        }
        catch (Exception e)
        {
            // Any failure ends the load (a fault left unobserved would keep the model "loading" for ever): the
            // stand-in answers and the report says why.
            failure = "the engine could not load the model: " + e.Message;
        }
        lock (slot.Gate)
        {
            slot.Loading = null;
            if (failure is not null)
            {
                slot.Unsupported = failure;
                return;
            }
            slot.Model = loaded;
            slot.LastUsed = _context.Clock.GetUtcNow();
        }
    }

    private void EvictIdle(DateTimeOffset now, int idleMs)
    {
        if (idleMs <= 0) return;
        foreach (var slot in _slots.Values)
        {
            LoadedModel? evicted = null;
            lock (slot.Gate)
            {
                if (slot.Model is not null && now - slot.LastUsed >= TimeSpan.FromMilliseconds(idleMs))
                {
                    evicted = slot.Model;
                    slot.Model = null;
                }
            }
            evicted?.Dispose();
        }
    }

    /// <summary>DATA/bedrock/engine/&lt;jobId&gt;/ with the import's files under their names, made once per import.</summary>
    private string Materialise(ImportJobRecord job)
    {
        var folder = Path.Combine(_root, job.JobId);
        if (File.Exists(Path.Combine(folder, CompleteMarker))) return folder;
        if (!S3Uri.TryParse(job.S3Uri, out var uri) || !_context.S3.BucketExists(uri!.Bucket))
            throw new InvalidDataException($"the import's S3 folder {job.S3Uri} is gone");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        var prefix = uri.FolderPrefix;
        foreach (var entry in _context.S3.List(uri.Bucket, prefix))
        {
            var relative = entry.Key.Substring(prefix.Length);
            if (relative.Length == 0 || relative.EndsWith('/')) continue;
            // Keys are untrusted names: only paths that stay inside the folder are made.
            var target = Path.GetFullPath(Path.Combine(folder, relative));
            if (!target.StartsWith(root, StringComparison.Ordinal)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var source = _context.S3.DataPath(uri.Bucket, entry.Key);
            if (!HardLink.TryCreate(source, target)) File.Copy(source, target, overwrite: true);
        }
        File.WriteAllText(Path.Combine(folder, CompleteMarker), job.S3Uri);
        return folder;
    }

    /// <summary>Generates an answer to <paramref name="prompt"/>: tokenized with the model's tokenizer (its
    /// post-processor adds the special tokens it names, e.g. BOS), greedy at temperature 0, else sampled from
    /// <paramref name="seed"/>; stops on an eos id, at <paramref name="maxTokens"/>, or (unless ignoreStop) at the first
    /// stop sequence in the decoded text, which is cut off. One piece per generated token (an eos id's piece is empty).</summary>
    public static WeightsGeneration Generate(LoadedModel loaded, string prompt, Sampling sampling, int seed, int maxTokens,
        IReadOnlyList<string> stops, bool ignoreStop, CancellationToken cancellationToken)
    {
        var tokenizer = loaded.Tokenizer;
        var promptIds = tokenizer.Encode(prompt, addSpecialTokens: true);
        if (promptIds.Count == 0)
            throw BedrockError.Validation("Malformed input request: the prompt has no tokens. Please reformat your input and try again.");
        lock (loaded.Gate)
        {
            if (loaded.Disposed) throw ModelNotReady();
            var model = loaded.Model;
            var limit = model.Config.MaxPositionEmbeddings;
            if (limit > 0 && promptIds.Count >= limit)
                throw BedrockError.Validation($"This model's maximum context length is {limit} tokens. However, your prompt has {promptIds.Count} tokens. Please reduce the length of the prompt.");
            if (limit > 0) maxTokens = Math.Min(maxTokens, limit - promptIds.Count);

            var options = new GenerationOptions { Temperature = sampling.Temperature, TopP = sampling.TopP, TopK = sampling.TopK, Seed = seed };
            var eos = new HashSet<int>(model.Config.EosTokenIds.Concat(tokenizer.EosTokenIds));
            var realStops = ignoreStop ? new List<string>() : stops.Where(s => s.Length > 0).ToList();
            var longestStop = realStops.Count == 0 ? 0 : realStops.Max(s => s.Length);
            var random = new Random(seed);
            var decoder = tokenizer.CreateDecoder(skipSpecialTokens: true);
            var pieces = new List<string>();
            var text = new System.Text.StringBuilder();
            var hitMax = false;
            var stoppedBySequence = false;

            var cache = model.CreateCache();
            var logits = model.Prefill(promptIds, cache);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var next = Generator.Choose(logits, options, random);
                var isEos = eos.Contains(next);
                var piece = isEos ? decoder.Flush() : decoder.Add(next);
                var last = isEos || pieces.Count + 1 >= maxTokens;
                if (last && !isEos) piece += decoder.Flush();
                var searchFrom = Math.Max(0, text.Length - longestStop + 1);
                pieces.Add(piece);
                text.Append(piece);
                if (realStops.Count > 0 && CutAtStop(pieces, text, realStops, searchFrom))
                {
                    stoppedBySequence = true;
                    break;
                }
                if (isEos) break;
                if (last)
                {
                    hitMax = true;
                    break;
                }
                logits = model.Forward(new[] { next }, cache);
            }
            return new WeightsGeneration(new Generation(pieces, hitMax, promptIds.Count), stoppedBySequence);
        }
    }

    /// <summary>Cuts the pieces before the earliest stop sequence found at or after <paramref name="searchFrom"/>.</summary>
    private static bool CutAtStop(List<string> pieces, System.Text.StringBuilder text, List<string> stops, int searchFrom)
    {
        var whole = text.ToString();
        var cut = stops.Select(s => whole.IndexOf(s, searchFrom, StringComparison.Ordinal)).Where(p => p >= 0).DefaultIfEmpty(-1).Min();
        if (cut < 0) return false;
        var kept = 0;
        for (var i = 0; i < pieces.Count; i++)
        {
            var room = Math.Max(0, cut - kept);
            if (pieces[i].Length > room) pieces[i] = pieces[i].Substring(0, room);
            kept += pieces[i].Length;
        }
        return true;
    }

    private static class HardLink
    {
        [DllImport("libc", EntryPoint = "link", SetLastError = true)]
        private static extern int Link(string existing, string created);

        [DllImport("kernel32", EntryPoint = "CreateHardLinkW", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern bool CreateHardLink(string created, string existing, IntPtr security);

        public static bool TryCreate(string existing, string created)
        {
            try
            {
                if (File.Exists(created)) File.Delete(created);
                return OperatingSystem.IsWindows() ? CreateHardLink(created, existing, IntPtr.Zero) : Link(existing, created) == 0;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return false;
            }
        }
    }
}

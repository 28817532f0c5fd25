using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Engine.Invocation;
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

/// <summary>Which engine answers an imported model, and why (the /_admin/models report). Engine is "weights",
/// "stand-in", or "none" when bedrock.engine "weights" refuses a model it cannot run.</summary>
internal sealed record EngineChoice(string Engine, string State, string Reason);

/// <summary>The outcome of a weights generation: the pieces (one per generated token, in the shape the stand-in's
/// answers use) and whether a stop sequence cut it.</summary>
internal sealed record WeightsGeneration(Generation Generation, bool StoppedBySequence);

/// <summary>The text one generated token adds to a streamed answer (possibly empty: a token inside a UTF-8 character,
/// or text that may begin a stop sequence, is held back); Last on the final token's piece; the prompt's token count.</summary>
internal readonly record struct StreamPiece(string Text, bool Last, int PromptTokens);

/// <summary>The last generation of a model, for the report: tokens and decode speed.</summary>
internal sealed record GenerationStats(int PromptTokens, int OutputTokens, double PrefillMs, double DecodeTokensPerSecond);

/// <summary>
/// The weights engine (knob bedrock.engine "auto", the default, or "weights"): an imported model whose folder
/// BedrockImport.Inference runs is answered by its own weights on the CPU.
/// <list type="bullet">
/// <item>The folder: the S3 store keeps each object as DATA/s3/buckets/&lt;bucket&gt;/objects/&lt;sha256(key)&gt;.data, so the
/// import's files are hard-linked once per import under DATA/bedrock/engine/&lt;jobId&gt;/ with their real names (copied
/// where a hard link cannot be made). A hard link shares the bytes (no second copy of the weights) and is a snapshot:
/// S3 replaces an object by moving a new file over the name, so overwriting or deleting the S3 object later does not
/// change or break the mapped weights, as Bedrock's own copy made at import is not changed either. Deleting the
/// imported model removes the folder (<see cref="Forget"/>).</item>
/// <item>The check, once per import and before any cold start: the architecture is supported, tokenizer.json loads and
/// the safetensors open with the shapes config.json names (mapped, not read). A model that fails it never starts a cold
/// start: "auto" answers it with the stand-in, "weights" refuses it, and the report says why.</item>
/// <item>Cold start: the first call starts loading in the background and answers ModelNotReadyException until the model
/// is in memory; a model idle for bedrock.engineIdleEvictMs is evicted and the next call loads it again.</item>
/// </list>
/// </summary>
internal sealed class WeightsEngine
{
    private const string CompleteMarker = ".materialised";
    private static readonly ConditionalWeakTable<EndpointContext, WeightsEngine> Engines = new();

    private readonly EndpointContext _context;
    private readonly string _root;
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    public WeightsEngine(EndpointContext context)
    {
        _context = context;
        _root = Path.Combine(context.ServiceDataDirectory("bedrock"), "engine");
        Engines.AddOrUpdate(context, this);
    }

    /// <summary>The engine of an endpoint (tests reach it through the server's context).</summary>
    internal static WeightsEngine? Of(EndpointContext context) => Engines.TryGetValue(context, out var engine) ? engine : null;

    /// <summary>Test hook: called on the generating thread after each token's piece was handed on, with the number of
    /// tokens generated so far and the generation's cancellation (a test can hold the generation here and see what the
    /// client already got, or that a client going away cancels it).</summary>
    internal Action<int, CancellationToken>? TokenGenerated { get; set; }

    private sealed class Slot
    {
        public readonly object Gate = new();
        public bool Checked;
        public bool Forgotten;
        public string? Unsupported;
        /// <summary>Unsupported names a fault of the model's files (a cut, grown, swapped or mismatched safetensors),
        /// not an architecture or tokenizer the engine lacks.</summary>
        public bool FilesFaulty;
        public MemoryEstimate? Estimate;
        public string? Folder;
        public string? ModelType;
        public ModelTokenizer? Tokenizer;
        public Task? Loading;
        public LoadedModel? Model;
        public DateTimeOffset LastUsed;
        public GenerationStats? LastGeneration;
        public int Generating;

        /// <summary>Drops the loaded model's verdict so the folder is checked again as it is now (its files changed).</summary>
        public void ForgetCheck()
        {
            Model = null;
            Checked = false;
            Unsupported = null;
            FilesFaulty = false;
        }
    }

    /// <summary>A model in memory. Gate serialises generations; disposal waits for the generation that runs (it is done
    /// by that generation when it ends), so eviction and deletion never block a request.</summary>
    internal sealed class LoadedModel
    {
        private bool _disposeRequested;

        public LoadedModel(TransformerModel model, ModelTokenizer tokenizer, string jobId)
        {
            Model = model;
            Tokenizer = tokenizer;
            JobId = jobId;
        }

        public TransformerModel Model { get; }
        public ModelTokenizer Tokenizer { get; }
        public string JobId { get; }
        public object Gate { get; } = new();
        public bool Disposed { get; private set; }

        /// <summary>Disposes now when no generation runs, else when the running one ends.</summary>
        public void Dispose()
        {
            if (!Monitor.TryEnter(Gate))
            {
                Volatile.Write(ref _disposeRequested, true);
                return;
            }
            try
            {
                DisposeHeld();
            }
            finally
            {
                Monitor.Exit(Gate);
            }
        }

        /// <summary>Called with Gate held at the end of a generation.</summary>
        internal void DisposeIfRequested()
        {
            if (Volatile.Read(ref _disposeRequested)) DisposeHeld();
        }

        private void DisposeHeld()
        {
            if (Disposed) return;
            Disposed = true;
            Model.Dispose();
        }
    }

    /// <summary>The loaded model that answers <paramref name="job"/>, or null when the stand-in answers (knob
    /// "stand-in", or "auto" and a model the engine cannot run). Throws ModelNotReadyException while the model loads (and
    /// starts the load), and ModelErrorException under "weights" for a model the engine cannot run.</summary>
    public LoadedModel? Acquire(ImportJobRecord job, BedrockKnobs knobs)
    {
        // Idle models are evicted on every call, also once the knob went back to "stand-in".
        var now = _context.Clock.GetUtcNow();
        EvictIdle(now, knobs.EngineIdleEvictMs);
        if (!knobs.UsesWeights) return null;
        var slot = _slots.GetOrAdd(job.JobId, _ => new Slot());
        LoadedModel? unloaded = null;
        try
        {
            lock (slot.Gate)
            {
                if (!slot.Checked) Check(slot, job);
                if (slot.Model is { } model)
                {
                    // Each request first checks that the mapped files are as they were mapped: a shard cut under the
                    // mapping would be a SIGBUS on the next read of a page past its end, so a changed model is unloaded
                    // and the folder checked again as it is now.
                    var change = model.Model.WeightFilesChanged();
                    if (change is null)
                    {
                        slot.LastUsed = now;
                        return model;
                    }
                    unloaded = model;
                    Recheck(slot, job, change);
                }
                if (slot.Unsupported is not null)
                {
                    if (knobs.RequiresWeights) throw CannotRun(slot.Unsupported);
                    return null;
                }
                if (slot.Loading is null)
                {
                    if (MemoryRefusal(slot, knobs) is { } refusal)
                    {
                        if (knobs.RequiresWeights) throw CannotRun(refusal);
                        return null;
                    }
                    var folder = slot.Folder!;
                    slot.Loading = Task.Run(() => Load(slot, job.JobId, folder));
                }
                throw ModelNotReady();
            }
        }
        finally
        {
            // Disposed now, or by the generation that still runs on it when that ends (it checks the files too).
            unloaded?.Dispose();
        }
    }

    private static BedrockError CannotRun(string reason) => new(424, "ModelErrorException",
        $"The local endpoint's weights engine (bedrock.engine \"weights\") cannot run this model: {reason}. Set bedrock.engine to \"auto\" or \"stand-in\" to have the stand-in answer it.");

    /// <summary>The model's files changed since they were mapped: the folder is checked again as it is now (the next
    /// load maps the files anew); when the check fails, the reason says what changed first.</summary>
    private void Recheck(Slot slot, ImportJobRecord job, string change)
    {
        slot.ForgetCheck();
        Check(slot, job);
        if (slot.Unsupported is not null)
        {
            slot.Unsupported = change + ", and the model no longer loads: " + slot.Unsupported;
            slot.FilesFaulty = true;
        }
    }

    /// <summary>Why the model may not be loaded now under the memory limit (knob bedrock.engineMemoryLimitBytes, else the
    /// memory available), with the figures; null when it fits beside the models already loaded or loading.</summary>
    private string? MemoryRefusal(Slot slot, BedrockKnobs knobs)
    {
        if (slot.Estimate is not { } estimate) return null;
        long held = 0;
        foreach (var other in _slots.Values)
        {
            if (ReferenceEquals(other, slot)) continue;
            // Read without the other slot's lock: a figure one load old only shifts the limit a little.
            if ((Volatile.Read(ref other.Model) is not null || Volatile.Read(ref other.Loading) is not null) && other.Estimate is { } otherEstimate)
                held += otherEstimate.TotalBytes;
        }
        var (limit, source) = knobs.EngineMemoryLimitBytes > 0
            ? (knobs.EngineMemoryLimitBytes, "the limit bedrock.engineMemoryLimitBytes")
            : (EngineMemory.AvailableBytes(), "the memory available (MemAvailable; bedrock.engineMemoryLimitBytes is 0)");
        if (estimate.TotalBytes + held <= limit) return null;
        return FormattableString.Invariant(
            $"the model needs {estimate.TotalBytes} bytes of memory (weights {estimate.WeightBytes}, vectors {estimate.VectorBytes}, KV cache {estimate.KvCacheBytes} for {estimate.ContextTokens} tokens, activations {estimate.ActivationBytes})")
            + (held > 0 ? FormattableString.Invariant($" beside the {held} bytes of the models already loaded") : "")
            + FormattableString.Invariant($", more than {source} of {limit} bytes");
    }

    private static EngineChoice Refused(string state, string reason, BedrockKnobs knobs) => knobs.RequiresWeights
        ? new EngineChoice("none", state, reason + "; bedrock.engine \"weights\" refuses its requests (ModelErrorException)")
        : new EngineChoice(BedrockKnobs.StandInEngine, state, reason + "; bedrock.engine \"auto\" answers it with the stand-in");

    internal static BedrockError ModelNotReady() => new(429, "ModelNotReadyException", BedrockRuntime.ModelNotReadyMessage);

    /// <summary>What answers <paramref name="job"/> under <paramref name="knobs"/>, and why; does not load weights (the
    /// first report or call runs the check).</summary>
    public EngineChoice Describe(ImportJobRecord job, BedrockKnobs knobs, bool hasAnswerBook)
    {
        if (hasAnswerBook)
            return new EngineChoice(BedrockKnobs.StandInEngine, "answer-book",
                $"the model folder has {ResponseBook.FileName}: its answers win over the weights");
        if (!knobs.UsesWeights)
            return new EngineChoice(BedrockKnobs.StandInEngine, "stand-in", "the bedrock.engine knob is \"stand-in\"");
        var slot = _slots.GetOrAdd(job.JobId, _ => new Slot());
        lock (slot.Gate)
        {
            if (!slot.Checked) Check(slot, job);
            if (slot.Unsupported is not null)
                return Refused(slot.FilesFaulty ? "load-failed" : "unsupported", slot.Unsupported, knobs);
            if (slot.Model is null && slot.Loading is null && MemoryRefusal(slot, knobs) is { } refusal)
                return Refused("too-large", refusal, knobs);
            var state = slot.Generating > 0 ? "generating" : slot.Model is not null ? "loaded" : slot.Loading is not null ? "loading" : "not-loaded";
            return new EngineChoice(BedrockKnobs.WeightsEngine, state,
                $"{slot.ModelType} runs on the CPU from the model's own tokenizer and weights (bedrock.engine \"{knobs.Engine}\")");
        }
    }

    /// <summary>The last generation of the model, if it ran since it was imported.</summary>
    public GenerationStats? LastGeneration(ImportJobRecord job)
        => _slots.TryGetValue(job.JobId, out var slot) ? Volatile.Read(ref slot.LastGeneration) : null;

    /// <summary>The imported model was deleted: its model is unloaded (once no generation runs) and its folder removed.</summary>
    public void Forget(ImportJobRecord job)
    {
        LoadedModel? loaded = null;
        if (_slots.TryRemove(job.JobId, out var slot))
        {
            lock (slot.Gate)
            {
                slot.Forgotten = true;
                loaded = slot.Model;
                slot.Model = null;
            }
        }
        loaded?.Dispose();
        var folder = Path.Combine(_root, job.JobId);
        try
        {
            // Mapped files can be unlinked on Linux; where they cannot (Windows, a generation still running) the folder
            // stays and a later import gets a new job id anyway.
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Materialises the folder and checks, without reading the weights, that the engine runs the model:
    /// the architecture, the tokenizer (kept for the load) and the safetensors' tensors and shapes.</summary>
    private void Check(Slot slot, ImportJobRecord job)
    {
        slot.Checked = true;
        try
        {
            slot.Folder = Materialise(job);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            slot.Unsupported = "the model folder could not be prepared: " + e.Message;
            return;
        }
        var (supported, reason) = ModelConfig.CheckSupport(slot.Folder);
        if (!supported)
        {
            slot.Unsupported = reason ?? "the engine does not run this model";
            return;
        }
        // The files are untrusted: any failure to read them means the engine does not run the model.
        try
        {
            slot.ModelType = ModelConfig.Load(slot.Folder).ModelType;
        }
        catch (Exception)
        {
            slot.ModelType = job.ModelArchitecture;
        }
        try
        {
            slot.Tokenizer = ModelTokenizer.Load(slot.Folder);
        }
        catch (Exception e)
        {
            slot.Unsupported = "the engine cannot load its tokenizer: " + e.Message;
            return;
        }
        try
        {
            // Reads the headers, maps and validates the tensors (names, dtypes, shapes, offsets against the file sizes)
            // and unmaps them: only the small vectors' pages are read.
            using var probe = TransformerModel.Load(slot.Folder);
            slot.Estimate = probe.EstimateMemory();
        }
        catch (Exception e)
        {
            slot.Unsupported = "the engine cannot load its weights: " + e.Message;
            slot.FilesFaulty = e is ModelFormatException or IOException;
        }
    }

    private void Load(Slot slot, string jobId, string folder)
    {
        LoadedModel? loaded = null;
        string? failure = null;
        try
        {
            loaded = new LoadedModel(TransformerModel.Load(folder), slot.Tokenizer!, jobId);
        }
        catch (Exception e)
        {
            // Any failure ends the load (a fault left unobserved would keep the model "loading" for ever): the
            // model is reported unsupported and answered as such.
            failure = "the engine could not load the model: " + e.Message;
        }
        lock (slot.Gate)
        {
            slot.Loading = null;
            if (slot.Forgotten)
            {
                loaded?.Dispose();
                return;
            }
            if (failure is not null)
            {
                slot.Unsupported = failure;
                slot.FilesFaulty = true;
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
                if (slot.Model is not null && slot.Generating == 0 && now - slot.LastUsed >= TimeSpan.FromMilliseconds(idleMs))
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
    /// stop sequence in the decoded text, which is cut off. One piece per generated token (an eos id's piece is empty),
    /// each handed to <paramref name="onPiece"/> as soon as its token is chosen. A piece never ends inside a character
    /// (the incremental decoder holds incomplete UTF-8 back) nor with text that may begin a stop sequence (held until the
    /// next token tells), so the pieces sent never need taking back: joined they are the answer.</summary>
    public WeightsGeneration Generate(LoadedModel loaded, string prompt, Sampling sampling, int seed, int maxTokens,
        IReadOnlyList<string> stops, bool ignoreStop, Action<StreamPiece>? onPiece, CancellationToken cancellationToken)
    {
        var tokenizer = loaded.Tokenizer;
        var promptIds = tokenizer.Encode(prompt, addSpecialTokens: true);
        if (promptIds.Count == 0)
            throw BedrockError.Validation("Malformed input request: the prompt has no tokens. Please reformat your input and try again.");
        var slot = _slots.TryGetValue(loaded.JobId, out var found) ? found : null;
        lock (loaded.Gate)
        {
            if (loaded.Disposed) throw ModelNotReady();
            var model = loaded.Model;
            ThrowIfFilesChanged(loaded, slot);
            var limit = model.Config.MaxPositionEmbeddings;
            if (limit > 0 && promptIds.Count >= limit)
                throw BedrockError.Validation($"This model's maximum context length is {limit} tokens. However, your prompt has {promptIds.Count} tokens. Please reduce the length of the prompt.");
            if (limit > 0) maxTokens = Math.Min(maxTokens, limit - promptIds.Count);
            if (slot is not null) Interlocked.Increment(ref slot.Generating);
            try
            {
                return Run(loaded, promptIds, sampling, seed, maxTokens, ignoreStop ? Array.Empty<string>() : stops, onPiece, slot, cancellationToken);
            }
            finally
            {
                if (slot is not null) Interlocked.Decrement(ref slot.Generating);
                loaded.DisposeIfRequested();
            }
        }
    }

    private WeightsGeneration Run(LoadedModel loaded, IReadOnlyList<int> promptIds, Sampling sampling, int seed, int maxTokens,
        IReadOnlyList<string> stops, Action<StreamPiece>? onPiece, Slot? slot, CancellationToken cancellationToken)
    {
        var model = loaded.Model;
        var tokenizer = loaded.Tokenizer;
        var options = new GenerationOptions { Temperature = sampling.Temperature, TopP = sampling.TopP, TopK = sampling.TopK, Seed = seed };
        var eos = new HashSet<int>(model.Config.EosTokenIds.Concat(tokenizer.EosTokenIds));
        var chunker = new StopSequenceChunker(stops);
        var random = new Random(seed);
        var decoder = tokenizer.CreateDecoder(skipSpecialTokens: true);
        var pieces = new List<string>();
        var hitMax = false;
        var clock = Stopwatch.StartNew();

        cancellationToken.ThrowIfCancellationRequested();
        var cache = model.CreateCache();
        var logits = model.Prefill(promptIds, cache);
        var prefill = clock.Elapsed;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var next = Generator.Choose(logits, options, random);
            var isEos = eos.Contains(next);
            var text = isEos ? decoder.Flush() : decoder.Add(next);
            var atMax = !isEos && pieces.Count + 1 >= maxTokens;
            if (atMax) text += decoder.Flush();
            var (piece, stopped) = chunker.Add(text, isEos || atMax);
            pieces.Add(piece);
            var last = stopped || isEos || atMax;
            onPiece?.Invoke(new StreamPiece(piece, last, promptIds.Count));
            TokenGenerated?.Invoke(pieces.Count, cancellationToken);
            if (last)
            {
                hitMax = atMax && !stopped;
                if (slot is not null)
                {
                    var decode = clock.Elapsed - prefill;
                    Volatile.Write(ref slot.LastGeneration, new GenerationStats(promptIds.Count, pieces.Count, prefill.TotalMilliseconds,
                        pieces.Count > 1 && decode > TimeSpan.Zero ? (pieces.Count - 1) / decode.TotalSeconds : 0));
                }
                return new WeightsGeneration(new Generation(pieces, hitMax, promptIds.Count), stopped);
            }
            ThrowIfFilesChanged(loaded, slot);
            logits = model.Forward(new[] { next }, cache);
        }
    }

    /// <summary>Called with loaded.Gate held before every forward pass: a model whose mapped files changed is not read
    /// again (a page past a cut end is a SIGBUS); it is unloaded, its folder is checked again on the next request, and
    /// this one is answered ModelErrorException naming what changed.</summary>
    private static void ThrowIfFilesChanged(LoadedModel loaded, Slot? slot)
    {
        if (loaded.Model.WeightFilesChanged() is not { } change) return;
        if (slot is not null)
        {
            lock (slot.Gate)
            {
                if (ReferenceEquals(slot.Model, loaded)) slot.ForgetCheck();
            }
        }
        loaded.Dispose();
        throw new BedrockError(424, "ModelErrorException",
            $"The local endpoint's weights engine stopped this request: {change}. The model is unloaded; the next request checks its files again.");
    }

    internal static class HardLink
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

/// <summary>The memory the weights engine may count on when bedrock.engineMemoryLimitBytes is 0.</summary>
internal static class EngineMemory
{
    /// <summary>MemAvailable of /proc/meminfo (what the kernel can hand out without swapping, page cache included), at
    /// most the GC's view of the memory it may use (a container's limit); the GC's figure alone where there is no
    /// /proc/meminfo.</summary>
    public static long AvailableBytes()
    {
        long gcLimit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long? available = MemAvailableBytes();
        return available is { } bytes && bytes > 0 ? Math.Min(bytes, gcLimit) : gcLimit;
    }

    private static long? MemAvailableBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var figure = line.Substring("MemAvailable:".Length).Trim();
                if (figure.EndsWith(" kB", StringComparison.Ordinal)
                    && long.TryParse(figure.AsSpan(0, figure.Length - 3).Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var kilobytes))
                    return kilobytes * 1024;
                return null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}

/// <summary>Cuts a streamed answer at the first stop sequence without taking back text already sent: each token's text is
/// appended, and what is handed on stops short of the longest tail that could still become a stop sequence (and of a
/// lone high surrogate). At the first stop sequence (the Engine's rule: the one that completes first) the answer ends
/// before it; on the last token everything held goes.</summary>
internal sealed class StopSequenceChunker
{
    private readonly StopSequenceSet _stops;
    private readonly System.Text.StringBuilder _text = new();
    private int _sent;

    public StopSequenceChunker(IReadOnlyList<string> stops) => _stops = new StopSequenceSet(stops.Where(s => s.Length > 0));

    /// <summary>The text to send for one token's <paramref name="text"/>, and whether a stop sequence ended the answer.</summary>
    public (string Piece, bool Stopped) Add(string text, bool last)
    {
        _text.Append(text);
        if (_stops.IsEmpty)
        {
            return (Take(_text.Length), false);
        }

        var whole = _text.ToString();
        var match = _stops.FindFirst(whole, _sent);
        if (match != null) return (Take(Math.Max(_sent, match.Index)), true);
        if (last) return (Take(_text.Length), false);
        var end = _text.Length - _stops.PendingPrefixLength(whole, _sent);
        if (end > _sent && end < _text.Length && char.IsHighSurrogate(_text[end - 1])) end--;
        return (Take(Math.Max(_sent, end)), false);
    }

    private string Take(int end)
    {
        var piece = _text.ToString(_sent, end - _sent);
        _sent = end;
        return piece;
    }
}

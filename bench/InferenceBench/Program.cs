// B8: decode of a synthetic Llama-3.2-1B-shaped bf16 model against the memory-bandwidth limit measured in the same process.
//
//   InferenceBench write <folder> [--layers 16] [--seed 1]
//       writes config.json, generation_config.json and model.safetensors (random bf16 weights, tied embeddings), then
//       b8-stamp.json; a folder whose stamp matches the shape and seed is reused as it is.
//   InferenceBench measure <folder> [--prompt 128] [--decode 32] [--passes 3]
//       loads the folder with the engine, times sequential read passes over the model's own mapping (so no second
//       copy of the pages is mapped), a warm-up generation, then a measured greedy generation (prefill of the prompt,
//       then decode steps), then read passes again, then rounds of one read pass and one decode step each (the step
//       against the bandwidth of the same moment); prints one JSON object as its last line.
//
// Writing and measuring are separate processes, so the measuring process's peak RSS holds the engine and nothing else.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text.Json;
using BedrockImport.Inference.Generation;
using BedrockImport.Inference.Model;

namespace InferenceBench;

internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 2 || args[0] is not ("write" or "measure" or "profile"))
        {
            Console.Error.WriteLine("usage: InferenceBench write <folder> [--layers N] [--seed S] | measure <folder> [--prompt N] [--decode N] [--passes N] | profile <folder> [--repeats N]");
            return 2;
        }
        var options = ParseOptions(args.AsSpan(2));
        if (args[0] == "write")
        {
            var shape = ModelShape.Llama32OneB(Option(options, "layers", 16));
            var clock = Stopwatch.StartNew();
            var (bytes, reused) = SyntheticModel.WriteOrReuse(args[1], shape, (ulong)Option(options, "seed", 1));
            Console.WriteLine(JsonSerializer.Serialize(new { bytes, reused, seconds = clock.Elapsed.TotalSeconds, layers = shape.Layers }));
            return 0;
        }
        if (args[0] == "profile")
        {
            Console.WriteLine(JsonSerializer.Serialize(Profile.Run(args[1], Option(options, "repeats", 9))));
            return 0;
        }
        var result = Measurement.Run(args[1], Option(options, "prompt", 128), Option(options, "decode", 32), Option(options, "passes", 3));
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static Dictionary<string, string> ParseOptions(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException("expected an --option, got " + args[i]);
            }
            options[args[i][2..]] = args[i + 1];
        }
        return options;
    }

    private static int Option(Dictionary<string, string> options, string name, int fallback) =>
        options.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
}

/// <summary>Figures of the measuring process read from /proc (Linux).</summary>
internal static class ProcessFigures
{
    /// <summary>A field of /proc/self/status in bytes (VmHWM, VmRSS, RssFile, RssAnon), or null.</summary>
    public static long? Status(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    var parts = line[(field.Length + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}

internal static unsafe class Measurement
{
    private const int ReadChunkBytes = 1 << 20;
    private const int PairedRounds = 8;

    public static Dictionary<string, object?> Run(string folder, int promptTokens, int decodeTokens, int passes)
    {
        string loadBefore = ProcessFigures.LoadAverage();
        var loadClock = Stopwatch.StartNew();
        using var model = TransformerModel.Load(folder);
        double loadSeconds = loadClock.Elapsed.TotalSeconds;
        var config = model.Config;
        var regions = Regions(model);
        long mappedTensorBytes = regions.Sum(region => region.Length);
        long bytesPerToken = WeightBytesPerDecodedToken(model);

        // The first pass faults the pages in (warm cache afterwards); it is not a read rate.
        var faultIn = ReadPass(regions, Environment.ProcessorCount);
        var before = Enumerable.Range(0, passes).Select(_ => ReadPass(regions, Environment.ProcessorCount)).ToList();
        var singleThread = Enumerable.Range(0, Math.Max(1, passes - 1)).Select(_ => ReadPass(regions, 1)).ToList();

        // Warm-up: one full prefill batch and some decode steps, so the tiered JIT has compiled both paths.
        var random = new Random(7);
        int[] RandomIds(int count) => Enumerable.Range(0, count).Select(_ => random.Next(config.VocabSize)).ToArray();
        var warmClock = Stopwatch.StartNew();
        Generator.Generate(model, RandomIds(TransformerModel.DefaultPrefillBatch), new GenerationOptions { MaxTokens = 6, StopTokenIds = Array.Empty<int>() });
        double warmSeconds = warmClock.Elapsed.TotalSeconds;
        Thread.Sleep(1000);

        var prompt = RandomIds(promptTokens);
        var stamps = new List<double>();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var generated = Generator.Generate(model, prompt, new GenerationOptions
        {
            MaxTokens = decodeTokens + 1,
            StopTokenIds = Array.Empty<int>(),
            OnToken = _ => stamps.Add(clock.Elapsed.TotalSeconds),
        });
        double totalSeconds = clock.Elapsed.TotalSeconds;
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;

        var after = Enumerable.Range(0, passes).Select(_ => ReadPass(regions, Environment.ProcessorCount)).ToList();

        // Paired rounds: a read pass right before each single decode step, so a step is compared with the memory
        // bandwidth of the same moment (on a shared machine the rate moves several-fold within a minute).
        var pairedCache = model.CreateCache();
        model.Prefill(RandomIds(8), pairedCache);
        var pairedLimits = new List<double>();
        var pairedSteps = new List<double>();
        for (int round = 0; round < PairedRounds; round++)
        {
            var pass = ReadPass(regions, Environment.ProcessorCount);
            var stepClock = Stopwatch.StartNew();
            model.Forward(new[] { random.Next(config.VocabSize) }, pairedCache);
            pairedSteps.Add(1 / stepClock.Elapsed.TotalSeconds);
            pairedLimits.Add(pass.BytesPerSecond / bytesPerToken);
        }

        double firstToken = stamps[0];
        double decodeSeconds = stamps[^1] - stamps[0];
        var steps = stamps.Zip(stamps.Skip(1), (a, b) => b - a).OrderBy(step => step).ToArray();
        var allThreads = before.Concat(after).ToList();
        // The limit uses the fastest pass, on all cores or one: the strictest bound the machine showed in this run.
        double readRate = allThreads.Concat(singleThread).Max(pass => pass.BytesPerSecond);
        double decodeRate = steps.Length / decodeSeconds;
        double limit = readRate / bytesPerToken;
        return new Dictionary<string, object?>
        {
            ["layers"] = config.LayerCount,
            ["hiddenSize"] = config.HiddenSize,
            ["intermediateSize"] = config.IntermediateSize,
            ["vocabSize"] = config.VocabSize,
            ["tiedEmbeddings"] = model.LmHeadIsTied,
            ["processorCount"] = Environment.ProcessorCount,
            ["vector256"] = Vector256.IsHardwareAccelerated,
            ["vector512"] = Vector512.IsHardwareAccelerated,
            ["loadAverageBefore"] = loadBefore,
            ["loadAverageAfter"] = ProcessFigures.LoadAverage(),
            ["loadSeconds"] = loadSeconds,
            ["weightFileBytes"] = model.WeightBytes,
            ["mappedTensorBytes"] = mappedTensorBytes,
            ["weightBytesPerToken"] = bytesPerToken,
            ["faultInPassSeconds"] = faultIn.Seconds,
            ["readPassesBefore"] = before.Select(pass => pass.BytesPerSecond).ToArray(),
            ["readPassesAfter"] = after.Select(pass => pass.BytesPerSecond).ToArray(),
            ["readPassesSingleThread"] = singleThread.Select(pass => pass.BytesPerSecond).ToArray(),
            ["readBytesPerSecond"] = readRate,
            ["readBytesPerSecondMedian"] = Median(allThreads.Select(pass => pass.BytesPerSecond)),
            ["limitTokensPerSecond"] = limit,
            ["warmupSeconds"] = warmSeconds,
            ["promptTokens"] = promptTokens,
            ["prefillSeconds"] = generated.PrefillTime.TotalSeconds,
            ["prefillTokensPerSecond"] = promptTokens / generated.PrefillTime.TotalSeconds,
            ["timeToFirstTokenMs"] = firstToken * 1000,
            ["decodeSteps"] = steps.Length,
            ["decodeSeconds"] = decodeSeconds,
            ["decodeTokensPerSecond"] = decodeRate,
            ["decodeStepMsMin"] = steps[0] * 1000,
            ["decodeStepMsMedian"] = Median(steps) * 1000,
            ["decodeStepMsMax"] = steps[^1] * 1000,
            ["decodeVsLimit"] = decodeRate / limit,
            ["pairedDecodeTokensPerSecond"] = pairedSteps.ToArray(),
            ["pairedLimitTokensPerSecond"] = pairedLimits.ToArray(),
            ["pairedDecodeVsLimit"] = pairedSteps.Zip(pairedLimits, (step, bound) => step / bound).ToArray(),
            ["pairedDecodeVsLimitMedian"] = Median(pairedSteps.Zip(pairedLimits, (step, bound) => step / bound)),
            ["pairedDecodeTokensPerSecondMedian"] = Median(pairedSteps),
            ["pairedLimitTokensPerSecondMedian"] = Median(pairedLimits),
            ["generationCpuSeconds"] = cpuSeconds,
            ["generationSeconds"] = totalSeconds,
            ["outputIds"] = generated.OutputIds.Take(8).ToArray(),
            ["checksum"] = unchecked(faultIn.Checksum + before[0].Checksum),
            ["peakRssBytes"] = ProcessFigures.Status("VmHWM"),
            ["rssBytes"] = ProcessFigures.Status("VmRSS"),
            ["rssFileBytes"] = ProcessFigures.Status("RssFile"),
            ["rssAnonBytes"] = ProcessFigures.Status("RssAnon"),
            ["managedHeapBytes"] = GC.GetTotalMemory(false),
        };
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(value => value).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Every tensor's bytes in the model's own mapping.</summary>
    internal static List<(nint Address, long Length)> Regions(TransformerModel model)
    {
        var regions = new List<(nint, long)>();
        foreach (var name in model.Weights.TensorNames.Order(StringComparer.Ordinal))
        {
            var tensor = model.Weights.Get(name);
            regions.Add(((nint)tensor.RowAddress(0), tensor.ByteLength));
        }
        return regions;
    }

    /// <summary>The mapped bytes one decode step reads: every matrix of the layers and lm_head once, and one embedding
    /// row (norm weights are f32 copies in managed memory, read too but not from the mapping).</summary>
    private static long WeightBytesPerDecodedToken(TransformerModel model)
    {
        const string embeddingName = "model.embed_tokens.weight";
        long bytes = 0;
        foreach (var name in model.Weights.TensorNames)
        {
            var tensor = model.Weights.Get(name);
            if (tensor.Shape.Count == 2 && (name != embeddingName || model.LmHeadIsTied))
            {
                bytes += tensor.ByteLength;
            }
        }
        var embedding = model.Weights.Get(embeddingName);
        return bytes + (long)embedding.Columns * embedding.ElementSize;
    }

    internal readonly record struct Pass(double Seconds, long Bytes, ulong Checksum)
    {
        public double BytesPerSecond => Bytes / Seconds;
    }

    /// <summary>Sums every mapped byte (as 64-bit lanes) in 1 MiB chunks spread over <paramref name="threads"/>
    /// threads, the way the matmuls spread rows.</summary>
    internal static Pass ReadPass(List<(nint Address, long Length)> regions, int threads)
    {
        var chunks = new List<(nint Address, long Length)>();
        foreach (var (address, length) in regions)
        {
            for (long offset = 0; offset < length; offset += ReadChunkBytes)
            {
                chunks.Add((address + (nint)offset, Math.Min(ReadChunkBytes, length - offset)));
            }
        }
        ulong checksum = 0;
        var clock = Stopwatch.StartNew();
        if (threads == 1)
        {
            foreach (var (address, length) in chunks)
            {
                checksum += Sum((byte*)address, length);
            }
        }
        else
        {
            Parallel.For(0, chunks.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => 0UL,
                (index, _, local) => local + Sum((byte*)chunks[index].Address, chunks[index].Length),
                local => Interlocked.Add(ref checksum, local));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        return new Pass(seconds, chunks.Sum(chunk => chunk.Length), checksum);
    }

    private static ulong Sum(byte* start, long length)
    {
        var a = Vector256<ulong>.Zero;
        var b = Vector256<ulong>.Zero;
        var c = Vector256<ulong>.Zero;
        var d = Vector256<ulong>.Zero;
        long i = 0;
        for (; i + 128 <= length; i += 128)
        {
            a += Vector256.Load((ulong*)(start + i));
            b += Vector256.Load((ulong*)(start + i + 32));
            c += Vector256.Load((ulong*)(start + i + 64));
            d += Vector256.Load((ulong*)(start + i + 96));
        }
        ulong total = Vector256.Sum((a + b) + (c + d));
        for (; i < length; i++)
        {
            total += start[i];
        }
        return total;
    }
}

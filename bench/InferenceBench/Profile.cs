using System.Diagnostics;
using BedrockImport.Inference.Model;

namespace InferenceBench;

/// <summary>Where a decode step goes, over the whole model so the weights come from memory, not cache: rounds of
/// (a) a read pass over every mapped byte on all cores, (b) every matrix applied to one token in the model's order
/// (Linear.Apply, the kernels and their parallel loops, nothing else), (c) one real decode step
/// (TransformerModel.Forward: the matrices plus norms, RoPE, attention, the cache). (b) ÷ (a) is the kernels'
/// efficiency against memory; (c) − (b) is what the rest of the step costs.</summary>
internal static class Profile
{
    public static Dictionary<string, object?> Run(string folder, int repeats)
    {
        using var model = TransformerModel.Load(folder);
        var regions = Measurement.Regions(model);
        var linears = model.Weights.TensorNames
            .Where(name => model.Weights.Get(name).Shape.Count == 2)
            .OrderBy(name => name == "model.embed_tokens.weight" ? 1 : 0).ThenBy(name => name, StringComparer.Ordinal)
            .Select(name => new Linear(model.Weights.Get(name), null))
            .ToList();
        var inputs = new Dictionary<int, float[]>();
        foreach (var linear in linears)
        {
            if (!inputs.ContainsKey(linear.InFeatures))
            {
                inputs[linear.InFeatures] = Enumerable.Range(0, linear.InFeatures).Select(i => (i % 7) * 0.1f - 0.3f).ToArray();
            }
        }
        var outputs = linears.Select(linear => new float[linear.OutFeatures]).ToList();
        var cache = model.CreateCache();
        model.Prefill(Enumerable.Range(0, 8).Select(i => i * 1000).ToArray(), cache);

        Measurement.ReadPass(regions, Environment.ProcessorCount);
        var read = new List<double>();
        var readOneCore = new List<double>();
        var matrices = new List<double>();
        var step = new List<double>();
        var matricesCpu = new List<double>();
        var stepCpu = new List<double>();
        var process = Process.GetCurrentProcess();
        for (int round = 0; round < repeats; round++)
        {
            read.Add(Measurement.ReadPass(regions, Environment.ProcessorCount).Seconds * 1000);
            readOneCore.Add(Measurement.ReadPass(regions, 1).Seconds * 1000);
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < linears.Count; i++)
            {
                linears[i].Apply(inputs[linears[i].InFeatures], 1, outputs[i]);
            }
            matrices.Add(clock.Elapsed.TotalMilliseconds);
            process.Refresh();
            matricesCpu.Add((process.TotalProcessorTime - cpu).TotalMilliseconds);
            cpu = process.TotalProcessorTime;
            clock.Restart();
            model.Forward(new[] { round * 17 }, cache);
            step.Add(clock.Elapsed.TotalMilliseconds);
            process.Refresh();
            stepCpu.Add((process.TotalProcessorTime - cpu).TotalMilliseconds);
        }
        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        return new Dictionary<string, object?>
        {
            ["loadAverage"] = ProcessFigures.LoadAverage(),
            ["bytes"] = regions.Sum(region => region.Length),
            ["readMsMedian"] = Median(read),
            ["readMsMin"] = read.Min(),
            ["readOneCoreMsMedian"] = Median(readOneCore),
            ["matricesMsMedian"] = Median(matrices),
            ["matricesMsMin"] = matrices.Min(),
            ["matricesCpuMsMedian"] = Median(matricesCpu),
            ["decodeStepMsMedian"] = Median(step),
            ["decodeStepMsMin"] = step.Min(),
            ["decodeStepCpuMsMedian"] = Median(stepCpu),
            ["read"] = read,
            ["matrices"] = matrices,
            ["step"] = step,
        };
    }
}

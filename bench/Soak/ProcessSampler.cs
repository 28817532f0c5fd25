using System.Globalization;

namespace BedrockImport.Soak;

/// <summary>One reading of the endpoint process: seconds since the soak began, VmRSS in MiB, CPU seconds so far.</summary>
internal readonly record struct ProcessSample(double Seconds, double RssMiB, double CpuSeconds);

/// <summary>Reads the endpoint process's /proc figures once a second (Linux only; elsewhere it samples nothing).</summary>
internal sealed class ProcessSampler
{
    private static readonly double ClockTicksPerSecond = 100; // USER_HZ, 100 on every Linux the project runs on
    private readonly int _processId;
    private readonly List<ProcessSample> _samples = new();
    private readonly object _gate = new();

    public ProcessSampler(int processId) => _processId = processId;

    public IReadOnlyList<ProcessSample> Samples
    {
        get { lock (_gate) return _samples.ToList(); }
    }

    public async Task RunAsync(System.Diagnostics.Stopwatch clock, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        do
        {
            var sample = Read(clock.Elapsed.TotalSeconds);
            if (sample is { } s) lock (_gate) _samples.Add(s);
        }
        while (await WaitAsync(timer, stop).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public ProcessSample? Read(double seconds)
    {
        var rss = StatusKiB("VmRSS");
        if (rss == null) return null;
        return new ProcessSample(seconds, rss.Value / 1024.0, CpuSeconds() ?? 0);
    }

    /// <summary>A kB figure of /proc/PID/status (VmRSS, VmHWM), or null when the process or the file is not there.</summary>
    public long? StatusKiB(string name)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_processId}/status"))
            {
                if (!line.StartsWith(name + ":", StringComparison.Ordinal)) continue;
                var figure = line.Substring(name.Length + 1).Trim().Split(' ')[0];
                return long.Parse(figure, CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private double? CpuSeconds()
    {
        try
        {
            // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime is the
            // 14th field of the line, stime the 15th.
            var text = File.ReadAllText($"/proc/{_processId}/stat");
            var fields = text.Substring(text.LastIndexOf(')') + 2).Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The least-squares slope of RSS over time in MiB per minute, over the samples at or after fromSeconds
    /// (null with fewer than 3 of them).</summary>
    public static double? SlopeMiBPerMinute(IReadOnlyList<ProcessSample> samples, double fromSeconds)
    {
        var points = samples.Where(s => s.Seconds >= fromSeconds).ToList();
        if (points.Count < 3) return null;
        var meanT = points.Average(p => p.Seconds / 60.0);
        var meanR = points.Average(p => p.RssMiB);
        var covariance = points.Sum(p => (p.Seconds / 60.0 - meanT) * (p.RssMiB - meanR));
        var variance = points.Sum(p => Math.Pow(p.Seconds / 60.0 - meanT, 2));
        return variance == 0 ? null : covariance / variance;
    }
}

using BedrockImport.LocalEndpoint.Knobs;
using BedrockImport.LocalEndpoint.S3;

namespace BedrockImport.LocalEndpoint.Hosting;

/// <summary>Everything a service handler needs from the host; one instance per server.</summary>
public sealed class EndpointContext
{
    internal EndpointContext(string dataDirectory, string region, KnobStore knobs, FaultInjector faults,
        RequestStats stats, S3Store s3, TimeProvider clock, Func<TimeSpan, CancellationToken, Task> delay)
    {
        DataDirectory = dataDirectory;
        Region = region;
        Knobs = knobs;
        Faults = faults;
        Stats = stats;
        S3 = s3;
        Clock = clock;
        Delay = delay;
    }

    public string DataDirectory { get; }

    public string Region { get; }

    public KnobStore Knobs { get; }

    public FaultInjector Faults { get; }

    public RequestStats Stats { get; }

    public S3Store S3 { get; }

    public TimeProvider Clock { get; }

    /// <summary>Waits for knob-driven latency; tests replace it to observe delays without timing.</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; }

    /// <summary>A folder under the data directory for one service's own state (created on demand).</summary>
    public string ServiceDataDirectory(string service)
    {
        var path = Path.Combine(DataDirectory, service);
        Directory.CreateDirectory(path);
        return path;
    }
}

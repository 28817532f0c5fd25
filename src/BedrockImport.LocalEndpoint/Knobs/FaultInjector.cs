using System.Collections.Concurrent;

namespace BedrockImport.LocalEndpoint.Knobs;

public enum FaultKind
{
    None,
    Throttle,
    InternalError,
    DropConnection,
}

/// <summary>
/// Applies the latency and fault knobs to every call a service serves (signed AWS calls and the Hub mirror alike), and
/// decides the faults. The n-th call of a scope always gets the same draw for a given seed, so a fault sequence is
/// reproducible per operation even when different operations interleave.
/// </summary>
public sealed class FaultInjector
{
    private readonly KnobStore _knobs;
    private readonly RequestStats _stats;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private readonly ConcurrentDictionary<string, long> _callIndex = new(StringComparer.Ordinal);

    internal FaultInjector(KnobStore knobs, RequestStats stats, Func<TimeSpan, CancellationToken, Task> delay)
    {
        _knobs = knobs;
        _stats = stats;
        _delay = delay;
        knobs.Changed += _ => Reset();
    }

    /// <summary>
    /// Counts the call as "service:operation" in the stats, waits its latency knob, and answers the fault the knobs decide
    /// in the service's own words (a dropped connection is aborted). Returns the fault; None means the handler runs.
    /// </summary>
    public async Task<FaultKind> InjectAsync(HttpContext http, string service, string? operation, FaultAnswers answers)
    {
        var stats = _stats.For(service, operation);
        stats.AddCall();
        var latency = _knobs.Current.LatencyFor(service, operation);
        if (latency > 0)
        {
            stats.AddLatency(latency);
            await _delay(TimeSpan.FromMilliseconds(latency), http.RequestAborted).ConfigureAwait(false);
        }

        var fault = Decide(service, operation);
        stats.AddFault(fault);
        if (fault == FaultKind.Throttle)
            await answers.Throttle(http).ConfigureAwait(false);
        else if (fault == FaultKind.InternalError)
            await answers.InternalError(http).ConfigureAwait(false);
        if (fault != FaultKind.None)
            answers.Answered?.Invoke(http, fault);
        if (fault == FaultKind.DropConnection)
            http.Abort();
        return fault;
    }

    /// <summary>Restarts every sequence (done whenever knobs are set).</summary>
    public void Reset() => _callIndex.Clear();

    public FaultKind Decide(string service, string? operation)
    {
        var knobs = _knobs.Current;
        var drop = knobs.DropConnectionRateFor(service, operation);
        var throttle = knobs.ThrottleRateFor(service, operation);
        var error = knobs.InternalErrorRateFor(service, operation);
        if (drop <= 0 && throttle <= 0 && error <= 0)
            return FaultKind.None;
        var scope = service + ":" + (operation ?? "?");
        var index = _callIndex.AddOrUpdate(scope, 0, (_, i) => i + 1);
        if (Draw(knobs.Seed, scope, index, 1) < drop)
            return FaultKind.DropConnection;
        if (Draw(knobs.Seed, scope, index, 2) < throttle)
            return FaultKind.Throttle;
        if (Draw(knobs.Seed, scope, index, 3) < error)
            return FaultKind.InternalError;
        return FaultKind.None;
    }

    /// <summary>A deterministic uniform number in [0,1) for (seed, scope, index, stream).</summary>
    public static double Draw(int seed, string scope, long index, int stream)
    {
        ulong h = 14695981039346656037UL;
        foreach (var c in scope)
            h = (h ^ c) * 1099511628211UL;
        var x = SplitMix((ulong)(uint)seed ^ SplitMix(h ^ SplitMix((ulong)index * 31 + (ulong)stream)));
        return (x >> 11) * (1.0 / (1UL << 53));
    }

    private static ulong SplitMix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

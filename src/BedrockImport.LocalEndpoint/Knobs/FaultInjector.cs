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
/// Decides injected faults. The n-th call of a scope always gets the same draw for a given seed, so a fault
/// sequence is reproducible per operation even when different operations interleave.
/// </summary>
public sealed class FaultInjector
{
    private readonly KnobStore _knobs;
    private readonly ConcurrentDictionary<string, long> _callIndex = new(StringComparer.Ordinal);

    internal FaultInjector(KnobStore knobs)
    {
        _knobs = knobs;
        knobs.Changed += _ => Reset();
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

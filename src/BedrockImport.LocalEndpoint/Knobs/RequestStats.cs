using System.Collections.Concurrent;

namespace BedrockImport.LocalEndpoint.Knobs;

/// <summary>Counts per "service:Operation" (served at /_admin/stats) so fault suites can report service calls.</summary>
public sealed class RequestStats
{
    private readonly ConcurrentDictionary<string, OperationStats> _byOperation = new(StringComparer.Ordinal);
    private long _refusedByAuth;

    /// <summary>Requests answered with an authentication error (bad or missing signature, unknown key, skew, wrong region).
    /// They reach no operation, so they are not in the per-operation counts.</summary>
    public long RefusedByAuth => Interlocked.Read(ref _refusedByAuth);

    internal void AddAuthRefusal() => Interlocked.Increment(ref _refusedByAuth);

    public OperationStats For(string service, string? operation)
        => _byOperation.GetOrAdd(service + ":" + (operation ?? "Unknown"), _ => new OperationStats());

    public IReadOnlyDictionary<string, OperationStats> Snapshot()
        => new SortedDictionary<string, OperationStats>(_byOperation.ToDictionary(p => p.Key, p => p.Value.Copy()), StringComparer.Ordinal);

    public void Reset()
    {
        _byOperation.Clear();
        Interlocked.Exchange(ref _refusedByAuth, 0);
    }
}

public sealed class OperationStats
{
    private long _calls, _throttled, _internalErrors, _dropped, _latencyMs;

    public long Calls { get => Interlocked.Read(ref _calls); init => _calls = value; }

    public long Throttled { get => Interlocked.Read(ref _throttled); init => _throttled = value; }

    public long InternalErrors { get => Interlocked.Read(ref _internalErrors); init => _internalErrors = value; }

    public long DroppedConnections { get => Interlocked.Read(ref _dropped); init => _dropped = value; }

    /// <summary>Total latency injected by the latency knob, in milliseconds.</summary>
    public long InjectedLatencyMs { get => Interlocked.Read(ref _latencyMs); init => _latencyMs = value; }

    internal void AddCall() => Interlocked.Increment(ref _calls);

    internal void AddFault(FaultKind kind)
    {
        switch (kind)
        {
            case FaultKind.Throttle: Interlocked.Increment(ref _throttled); break;
            case FaultKind.InternalError: Interlocked.Increment(ref _internalErrors); break;
            case FaultKind.DropConnection: Interlocked.Increment(ref _dropped); break;
        }
    }

    internal void AddLatency(int ms) => Interlocked.Add(ref _latencyMs, ms);

    internal OperationStats Copy() => new()
    {
        Calls = Calls, Throttled = Throttled, InternalErrors = InternalErrors,
        DroppedConnections = DroppedConnections, InjectedLatencyMs = InjectedLatencyMs,
    };
}

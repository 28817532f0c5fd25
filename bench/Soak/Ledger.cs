using System.Collections.Concurrent;

namespace BedrockImport.Soak;

/// <summary>How one request ended, as the client saw it.</summary>
internal enum Outcome
{
    /// <summary>Answered with success, and the answer is the one its own request asked for.</summary>
    Ok,
    /// <summary>Answered with success, but with an answer that belongs to another request (or is not whole).</summary>
    Mismatched,
    /// <summary>Answered with an HTTP error status.</summary>
    HttpError,
    /// <summary>The client gave up on purpose (a stream broken off after its first chunk, a part upload cancelled).</summary>
    Cancelled,
    /// <summary>No answer: the connection failed or the request timed out.</summary>
    NoAnswer,
}

/// <summary>Every request of the soak: a unique id each, exactly one outcome each, counted per operation.</summary>
internal sealed class Ledger
{
    private readonly ConcurrentDictionary<string, OperationTally> _byOperation = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, string> _pending = new();
    private long _nextId;
    private long _duplicateOutcomes;

    public long DuplicateOutcomes => Interlocked.Read(ref _duplicateOutcomes);

    public IReadOnlyDictionary<string, OperationTally> Operations => _byOperation;

    /// <summary>The requests sent that have no outcome yet (at the end of the drain: lost).</summary>
    public IReadOnlyCollection<string> Pending => _pending.Values.ToList();

    /// <summary>Registers a request of "service:Operation" and answers its id.</summary>
    public long Send(string operation)
    {
        var id = Interlocked.Increment(ref _nextId);
        Tally(operation).AddSent();
        _pending[id] = operation;
        return id;
    }

    public void Record(long id, Outcome outcome, double milliseconds, int status = 0, string? detail = null)
    {
        if (!_pending.TryRemove(id, out var operation))
        {
            Interlocked.Increment(ref _duplicateOutcomes);
            return;
        }

        Tally(operation).Add(outcome, milliseconds, status, detail);
    }

    private OperationTally Tally(string operation) => _byOperation.GetOrAdd(operation, _ => new OperationTally());
}

internal sealed class OperationTally
{
    private readonly object _gate = new();
    private readonly List<double> _latencies = new();
    private readonly Dictionary<int, long> _statuses = new();
    private readonly List<string> _details = new();
    private long _sent, _ok, _mismatched, _cancelled, _noAnswer;

    public long Sent => Interlocked.Read(ref _sent);
    public long Ok => Interlocked.Read(ref _ok);
    public long Mismatched => Interlocked.Read(ref _mismatched);
    public long Cancelled => Interlocked.Read(ref _cancelled);
    public long NoAnswer => Interlocked.Read(ref _noAnswer);

    public void AddSent() => Interlocked.Increment(ref _sent);

    public void Add(Outcome outcome, double milliseconds, int status, string? detail)
    {
        switch (outcome)
        {
            case Outcome.Ok: Interlocked.Increment(ref _ok); break;
            case Outcome.Mismatched: Interlocked.Increment(ref _mismatched); break;
            case Outcome.Cancelled: Interlocked.Increment(ref _cancelled); break;
            case Outcome.NoAnswer: Interlocked.Increment(ref _noAnswer); break;
        }

        lock (_gate)
        {
            if (outcome == Outcome.Ok) _latencies.Add(milliseconds);
            if (outcome == Outcome.HttpError) _statuses[status] = _statuses.TryGetValue(status, out var n) ? n + 1 : 1;
            // A few examples of what went wrong are enough to tell a bug from a fault knob.
            if (detail != null && outcome != Outcome.Ok && outcome != Outcome.Cancelled && _details.Count < 5) _details.Add(detail);
        }
    }

    public IReadOnlyDictionary<int, long> Statuses
    {
        get { lock (_gate) return new SortedDictionary<int, long>(_statuses); }
    }

    public long HttpErrors
    {
        get { lock (_gate) return _statuses.Values.Sum(); }
    }

    public IReadOnlyList<string> Details
    {
        get { lock (_gate) return _details.ToList(); }
    }

    /// <summary>The latency of successful answers at quantile q (nearest rank), in ms; null when there were none.</summary>
    public double? Percentile(double q)
    {
        double[] sorted;
        lock (_gate) sorted = _latencies.OrderBy(x => x).ToArray();
        if (sorted.Length == 0) return null;
        var rank = (int)Math.Ceiling(q * sorted.Length) - 1;
        return Math.Round(sorted[Math.Clamp(rank, 0, sorted.Length - 1)], 2);
    }
}

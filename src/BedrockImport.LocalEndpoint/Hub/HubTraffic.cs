using System.Collections.Concurrent;

namespace BedrockImport.LocalEndpoint.Hub;

/// <summary>One request the Hub mirror answered (served at GET /_hub/traffic).</summary>
public sealed class HubRequestRecord
{
    /// <summary>ModelInfo, Tree, Resolve or Cdn.</summary>
    public string Operation { get; init; } = "";

    public string Method { get; init; } = "";

    /// <summary>The Host header the request came to (the CDN redirect swaps 127.0.0.1 and localhost).</summary>
    public string Host { get; init; } = "";

    public string Path { get; init; } = "";

    /// <summary>Whether the request carried an Authorization header. A client must drop it on a redirect to another host.</summary>
    public bool HadAuthorization { get; init; }

    /// <summary>The Range header, if any.</summary>
    public string? Range { get; init; }

    public int Status { get; init; }

    /// <summary>Body bytes sent.</summary>
    public long Bytes { get; init; }
}

/// <summary>What the mirror served, so tests can prove a client read only headers and sent no token to the CDN host.</summary>
public sealed class HubTraffic
{
    private readonly ConcurrentQueue<HubRequestRecord> _records = new();
    private long _bytesServed;

    /// <summary>File bytes sent by /resolve and /_cdn answers, in all.</summary>
    public long BytesServed => Interlocked.Read(ref _bytesServed);

    public IReadOnlyList<HubRequestRecord> Records => _records.ToArray();

    public void Reset()
    {
        _records.Clear();
        Interlocked.Exchange(ref _bytesServed, 0);
    }

    internal void Add(HubRequestRecord record)
    {
        _records.Enqueue(record);
        Interlocked.Add(ref _bytesServed, record.Bytes);
    }
}

using System.Diagnostics;

namespace BedrockImport.Engine.Transfer;

/// <summary>Counts bytes and files from all workers and reports snapshots (at most every 100 ms, plus every file completion).</summary>
internal sealed class ProgressTracker
{
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(100);

    private readonly IProgress<TransferProgress>? _progress;
    private readonly int _filesTotal;
    private readonly long _totalBytes;
    private readonly Stopwatch _clock;
    private readonly object _lock = new object();
    private readonly Dictionary<string, int> _active = new Dictionary<string, int>(StringComparer.Ordinal);
    private long _transferred;
    private long _uploaded;
    private long _checked;
    private int _filesDone;
    private TimeSpan? _firstUpload;
    private TimeSpan? _lastReport;

    public ProgressTracker(IProgress<TransferProgress>? progress, int filesTotal, long totalBytes, Stopwatch clock)
    {
        _progress = progress;
        _filesTotal = filesTotal;
        _totalBytes = totalBytes;
        _clock = clock;
    }

    public void FileSkipped(long size)
    {
        lock (_lock)
        {
            _transferred += size;
            _filesDone++;
        }

        Report("Checking", force: true);
    }

    public void BytesChecked(long size)
    {
        lock (_lock)
        {
            _checked += size;
        }

        Report("Checking", force: false);
    }

    public void PartReused(long size)
    {
        lock (_lock)
        {
            _transferred += size;
        }
    }

    public void FileStarted(string relativePath)
    {
        lock (_lock)
        {
            _firstUpload ??= _clock.Elapsed;
            _active.TryGetValue(relativePath, out var count);
            _active[relativePath] = count + 1;
        }
    }

    public void FileStopped(string relativePath)
    {
        lock (_lock)
        {
            if (_active.TryGetValue(relativePath, out var count))
            {
                if (count <= 1)
                {
                    _active.Remove(relativePath);
                }
                else
                {
                    _active[relativePath] = count - 1;
                }
            }
        }
    }

    public void BytesUploaded(long size)
    {
        lock (_lock)
        {
            _transferred += size;
            _uploaded += size;
        }

        Report("Uploading", force: false);
    }

    public void FileDone()
    {
        lock (_lock)
        {
            _filesDone++;
        }

        Report("Uploading", force: true);
    }

    public void Report(string stage, bool force)
    {
        if (_progress == null)
        {
            return;
        }

        TransferProgress snapshot;
        lock (_lock)
        {
            var now = _clock.Elapsed;
            if (!force && _lastReport.HasValue && now - _lastReport.Value < MinimumInterval)
            {
                return;
            }

            _lastReport = now;
            var sending = _firstUpload.HasValue ? (now - _firstUpload.Value).TotalSeconds : 0;
            var rate = sending > 0 ? _uploaded / sending : 0;
            TimeSpan? remaining = rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, _totalBytes - _transferred) / rate) : (TimeSpan?)null;
            snapshot = new TransferProgress(stage, _transferred, _totalBytes, _uploaded, _filesDone, _filesTotal,
                _active.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList(), now, rate, remaining, _checked);
        }

        _progress.Report(snapshot);
    }
}

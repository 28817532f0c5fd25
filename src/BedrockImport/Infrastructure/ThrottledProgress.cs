using System.Diagnostics;

namespace BedrockImport.Infrastructure;

/// <summary>Passes on at most a few progress reports a second (each becomes a Write-Progress on the pipeline thread).</summary>
internal sealed class ThrottledProgress<T> : IProgress<T>
{
    private static readonly long Interval = Stopwatch.Frequency / 4;
    private readonly Action<T> _report;
    private long _last = -Interval;

    public ThrottledProgress(Action<T> report) => _report = report;

    public void Report(T value)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_report)
        {
            if (now - _last < Interval)
            {
                return;
            }

            _last = now;
        }

        _report(value);
    }
}

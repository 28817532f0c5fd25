using BedrockImport.Engine.Bedrock;

namespace BedrockImport.Engine.Import;

/// <summary>Polls model import jobs until each ends (Completed or Failed) or the timeout passes. There is no
/// service-side waiter, so this is ours: the interval starts short and doubles up to a cap, so a quick local
/// job is seen in seconds and a 15-minute real one costs a few dozen calls.</summary>
public sealed class ImportJobWaiter
{
    private readonly Func<string, CancellationToken, Task<ModelImportJob>> _getJob;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private readonly Func<DateTimeOffset> _clock;

    public ImportJobWaiter(Func<string, CancellationToken, Task<ModelImportJob>> getJob,
        Func<TimeSpan, CancellationToken, Task>? delay = null, Func<DateTimeOffset>? clock = null)
    {
        _getJob = getJob;
        _delay = delay ?? ((wait, token) => Task.Delay(wait, token));
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
    }

    public TimeSpan FirstInterval { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Waits for every job. <paramref name="onUpdate"/> is called after each poll of a job (for progress),
    /// <paramref name="onEnded"/> once per job when it reaches a terminal state. Returns the jobs still running at the timeout.</summary>
    public async Task<IReadOnlyList<ModelImportJob>> WaitAsync(IReadOnlyList<string> jobIdentifiers, TimeSpan? timeout,
        Action<ModelImportJob, TimeSpan> onUpdate, Func<ModelImportJob, Task> onEnded, CancellationToken cancellationToken)
    {
        var started = _clock();
        var pending = jobIdentifiers.Distinct(StringComparer.Ordinal).ToDictionary(id => id, id => (ModelImportJob?)null, StringComparer.Ordinal);
        var interval = FirstInterval;
        while (true)
        {
            foreach (var identifier in pending.Keys.ToList())
            {
                var job = await _getJob(identifier, cancellationToken).ConfigureAwait(false);
                onUpdate(job, _clock() - started);
                if (IsTerminal(job.Status))
                {
                    pending.Remove(identifier);
                    await onEnded(job).ConfigureAwait(false);
                }
                else
                {
                    pending[identifier] = job;
                }
            }

            if (pending.Count == 0)
            {
                return Array.Empty<ModelImportJob>();
            }

            var wait = interval;
            if (timeout.HasValue)
            {
                var left = timeout.Value - (_clock() - started);
                if (left <= TimeSpan.Zero)
                {
                    return pending.Values.Where(j => j != null).Select(j => j!).ToList();
                }

                wait = left < wait ? left : wait;
            }

            await _delay(wait, cancellationToken).ConfigureAwait(false);
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, MaxInterval.Ticks));
        }
    }

    public static bool IsTerminal(string? status)
        => string.Equals(status, "Completed", StringComparison.OrdinalIgnoreCase) || string.Equals(status, "Failed", StringComparison.OrdinalIgnoreCase);
}

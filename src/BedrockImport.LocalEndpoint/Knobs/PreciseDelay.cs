using System.Diagnostics;

namespace BedrockImport.LocalEndpoint.Knobs;

/// <summary>Waits a latency knob's time as asked. .NET's timers fire late by a roughly constant slack (about 3 ms on the
/// Linux build machine, so a 50 ms knob made 53.5 ms calls); the slack is measured once in the background at start-up
/// and taken off each wait, so the endpoint adds the latency its knob says, not more.</summary>
internal static class PreciseDelay
{
    private static readonly TimeSpan MaxSlack = TimeSpan.FromMilliseconds(10);
    private static long _slackTicks;
    private static int _calibrating;

    /// <summary>The measured late firing of Task.Delay (zero until measured).</summary>
    public static TimeSpan Slack => TimeSpan.FromTicks(Interlocked.Read(ref _slackTicks));

    public static Task WaitAsync(TimeSpan wait, CancellationToken token)
    {
        if (Interlocked.Exchange(ref _calibrating, 1) == 0) _ = Task.Run(CalibrateAsync);
        var slack = Slack;
        return Task.Delay(wait > slack + slack ? wait - slack : wait, token);
    }

    /// <summary>The median overshoot of a few short delays.</summary>
    private static async Task CalibrateAsync()
    {
        var overshoots = new List<TimeSpan>();
        var clock = new Stopwatch();
        for (var i = 0; i < 15; i++)
        {
            clock.Restart();
            await Task.Delay(TimeSpan.FromMilliseconds(5)).ConfigureAwait(false);
            overshoots.Add(clock.Elapsed - TimeSpan.FromMilliseconds(5));
        }
        overshoots.Sort();
        var median = overshoots[overshoots.Count / 2];
        Interlocked.Exchange(ref _slackTicks, Math.Max(0, Math.Min(MaxSlack.Ticks, median.Ticks)));
    }
}

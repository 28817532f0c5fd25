using System.Globalization;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Errors;

namespace BedrockImport.Engine.Wire;

/// <summary>The one retry policy for AWS calls.
/// Which failures are retried, and how, is AwsErrorCatalog's word for AWS codes and HttpStatusRules' for any other service error.
/// Throttling, 5xx/transient codes and network errors: full-jitter exponential backoff, at most RetryOptions.MaxAttempts attempts.
/// ModelNotReadyException: retried until RetryOptions.ColdStartBudget has elapsed, independent of MaxAttempts.
/// x-amz-retry-after is honoured. Caller cancellation is never retried and ends a backoff wait at once.</summary>
/// <remarks>A plain loop rather than a resilience library's pipeline: building and running one cost the first call of a
/// session about 30 ms of CPU (assembly loads, options validation by reflection, generic code compiled for each result
/// type; issue 15, B5), for a strategy this class decides alone anyway.</remarks>
public sealed class RetryPolicy
{
    private readonly RetryOptions _options;
    private readonly IEngineLog _log;
    private readonly TimeProvider _time;
    private readonly Func<double> _random;

    public RetryPolicy(RetryOptions? options = null, IEngineLog? log = null)
        : this(options, log, TimeProvider.System, null)
    {
    }

    /// <param name="time">Clock and timers for the backoff waits (tests pass a fake).</param>
    /// <param name="random">Uniform [0,1) source for jitter.</param>
    internal RetryPolicy(RetryOptions? options, IEngineLog? log, TimeProvider time, Func<double>? random)
    {
        _options = options ?? new RetryOptions();
        _log = log ?? NullEngineLog.Instance;
        _time = time;
        _random = random ?? SharedRandom.NextDouble;
    }

    public RetryOptions Options => _options;

    public async Task<T> ExecuteAsync<T>(string operation, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        var state = new CallState(operation, cancellationToken);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await action(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                if (!ShouldRetry(error, state) || cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                Report(error, state);
            }

            var delay = state.NextDelay ?? TimeSpan.Zero;
            if (delay > TimeSpan.Zero)
            {
#if NET8_0_OR_GREATER
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
#else
                await _time.Delay(delay, cancellationToken).ConfigureAwait(false);
#endif
            }
        }
    }

    public async Task ExecuteAsync(string operation, Func<CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        await ExecuteAsync<bool>(operation, async token =>
        {
            await action(token).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    internal static RetryClass Classify(Exception? error, CancellationToken callerToken)
    {
        switch (error)
        {
            case null:
                return RetryClass.None;
            case OperationCanceledException _:
                return callerToken.IsCancellationRequested ? RetryClass.None : RetryClass.Transient;
            case AwsServiceException service:
                return AwsErrorCatalog.RetryOf(service.ErrorCode, service.StatusCode);
            case IServiceError remote:
                return HttpStatusRules.Retry(remote.StatusCode);
            case HttpRequestException _:
            case IOException _:
            case TimeoutException _:
                return RetryClass.Transient;
            default:
                return RetryClass.None;
        }
    }

    private bool ShouldRetry(Exception error, CallState state)
    {
        state.Class = Classify(error, state.CallerToken);
        state.NextDelay = null;
        var retryAfter = (error as IServiceError)?.RetryAfter;
        switch (state.Class)
        {
            case RetryClass.Throttling:
            case RetryClass.Transient:
                state.Failures++;
                if (state.Failures >= _options.MaxAttempts)
                {
                    return false;
                }

                var baseDelay = state.Class == RetryClass.Throttling ? _options.ThrottleBaseDelay : _options.TransientBaseDelay;
                var cap = Min(Exponential(baseDelay, state.Failures), _options.MaxDelay);
                state.NextDelay = retryAfter ?? TimeSpan.FromTicks((long)(_random() * cap.Ticks));
                return true;

            case RetryClass.ColdStart:
                var now = _time.GetUtcNow();
                state.ColdStartBegan ??= now;
                state.ColdStartFailures++;
                state.ColdStartElapsed = now - state.ColdStartBegan.Value;
                var remaining = _options.ColdStartBudget - state.ColdStartElapsed;
                if (remaining <= TimeSpan.Zero)
                {
                    _log.Verbose($"Model is still loading after {FormatDuration(state.ColdStartElapsed)} (cold-start budget {FormatDuration(_options.ColdStartBudget)}); giving up on {state.Operation}.");
                    return false;
                }

                var coldCap = Min(Exponential(_options.ColdStartBaseDelay, state.ColdStartFailures), _options.ColdStartMaxDelay);
                var halfJitter = TimeSpan.FromTicks(coldCap.Ticks / 2 + (long)(_random() * (coldCap.Ticks / 2)));
                state.NextDelay = Min(retryAfter ?? halfJitter, remaining);
                return true;

            default:
                return false;
        }
    }

    private void Report(Exception error, CallState state)
    {
        var delay = state.NextDelay ?? TimeSpan.Zero;
        if (state.Class == RetryClass.ColdStart)
        {
            var message = $"Model is loading (ModelNotReadyException); waiting {FormatDuration(delay)} before retrying {state.Operation} "
                          + $"({FormatDuration(state.ColdStartElapsed)} of {FormatDuration(_options.ColdStartBudget)} cold-start budget used).";
            _log.Verbose(message);
            var callback = _options.OnColdStartWait;
            if (callback != null)
            {
                try
                {
                    callback(new ColdStartWait(state.Operation, state.ColdStartFailures, delay, state.ColdStartElapsed, _options.ColdStartBudget, message));
                }
                catch (Exception callbackError)
                {
                    _log.Debug("The cold-start progress callback failed: " + callbackError.Message);
                }
            }

            return;
        }

        _log.Verbose($"Retrying {state.Operation} after {FormatDuration(delay)} (attempt {state.Failures + 1} of {_options.MaxAttempts}): {Describe(error)}");
    }

    private static string Describe(Exception error)
        => error is IEngineError named
            ? named.ErrorId + ": " + error.Message
            : error.GetType().Name + ": " + error.Message;

    internal static string FormatDuration(TimeSpan value)
    {
        if (value.TotalSeconds < 60)
        {
            return value.TotalSeconds.ToString("0.0##", CultureInfo.InvariantCulture) + " s";
        }

        var minutes = (int)value.TotalMinutes;
        var seconds = value.Seconds;
        return seconds == 0 ? $"{minutes} min" : $"{minutes} min {seconds} s";
    }

    private static TimeSpan Exponential(TimeSpan baseDelay, int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var ticks = baseDelay.Ticks * factor;
        return ticks >= TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)ticks);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private sealed class CallState
    {
        public CallState(string operation, CancellationToken callerToken)
        {
            Operation = operation;
            CallerToken = callerToken;
        }

        public string Operation { get; }
        public CancellationToken CallerToken { get; }
        public RetryClass Class { get; set; }
        public int Failures { get; set; }
        public int ColdStartFailures { get; set; }
        public DateTimeOffset? ColdStartBegan { get; set; }
        public TimeSpan ColdStartElapsed { get; set; }
        public TimeSpan? NextDelay { get; set; }
    }

    private static class SharedRandom
    {
        private static readonly Random Source = new Random();

        public static double NextDouble()
        {
            lock (Source)
            {
                return Source.NextDouble();
            }
        }
    }
}

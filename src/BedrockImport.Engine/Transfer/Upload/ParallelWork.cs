using System.Runtime.ExceptionServices;

namespace BedrockImport.Engine.Transfer.Upload;

/// <summary>Runs work in parallel so that the first failure stops the rest and is the error the caller sees (not the
/// cancellations it caused in the other tasks).</summary>
internal static class ParallelWork
{
    /// <summary>Runs action on every item, at most limit at once.</summary>
    public static async Task ForEachAsync<T>(IReadOnlyList<T> items, int limit, Func<T, CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(limit, limit);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = items.Select(async item =>
        {
            await gate.WaitAsync(failed.Token).ConfigureAwait(false);
            try
            {
                await action(item, failed.Token).ConfigureAwait(false);
            }
            catch
            {
                failed.Cancel();
                throw;
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await WhenAllAsync(tasks, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts count workers that each run until they are done or a failure cancels the token they share.</summary>
    public static async Task RunWorkersAsync(int count, Func<CancellationToken, Task> worker, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = Enumerable.Range(0, count).Select(_ => Task.Run(async () =>
        {
            try
            {
                await worker(failed.Token).ConfigureAwait(false);
            }
            catch
            {
                failed.Cancel();
                throw;
            }
        })).ToList();
        await WhenAllAsync(workers, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for every task. When some failed: the caller's cancellation if it was cancelled, else the first failure
    /// that is not a cancellation.</summary>
    private static async Task WhenAllAsync(IReadOnlyList<Task> tasks, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            cancellationToken.ThrowIfCancellationRequested();
            var first = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => !(e is OperationCanceledException));
            if (first != null)
            {
                ExceptionDispatchInfo.Capture(first).Throw();
            }

            throw;
        }
    }
}

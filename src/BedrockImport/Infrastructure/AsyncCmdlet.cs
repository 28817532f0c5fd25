using System.Collections.Concurrent;
using System.Management.Automation;

namespace BedrockImport.Infrastructure;

/// <summary>
/// Base of every cmdlet: runs each block as async work on the thread pool and pumps its Write* calls back to the
/// pipeline thread (PowerShell only accepts them there). StopProcessing (Ctrl+C) cancels the token at once.
/// </summary>
public abstract class AsyncCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
    private BlockingCollection<Action>? _pipelineQueue;
    private readonly ConcurrentQueue<Action> _deferred = new ConcurrentQueue<Action>();
    private int _pipelineThreadId;

    protected CancellationToken CancellationToken => _stopping.Token;

    protected virtual Task BeginProcessingAsync() => Task.CompletedTask;

    protected virtual Task ProcessRecordAsync() => Task.CompletedTask;

    protected virtual Task EndProcessingAsync() => Task.CompletedTask;

    protected sealed override void BeginProcessing() => RunBlock(BeginProcessingAsync);

    protected sealed override void ProcessRecord() => RunBlock(ProcessRecordAsync);

    protected sealed override void EndProcessing() => RunBlock(EndProcessingAsync);

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>Turns an exception that escaped a block into an error record, or null to rethrow it as is.</summary>
    protected virtual ErrorRecord? ToErrorRecord(Exception exception) => null;

    /// <summary>Whether an error record from a block stops the whole command (otherwise it is written and the pipeline goes on).</summary>
    protected virtual bool IsTerminating(Exception exception) => false;

    private void RunBlock(Func<Task> block)
    {
        using var queue = new BlockingCollection<Action>();
        _pipelineQueue = queue;
        _pipelineThreadId = Environment.CurrentManagedThreadId;
        RunDeferred();
        var work = Task.Run(async () =>
        {
            try
            {
                await block().ConfigureAwait(false);
            }
            finally
            {
                queue.CompleteAdding();
            }
        });

        try
        {
            foreach (var action in queue.GetConsumingEnumerable())
            {
                action();
            }
        }
        catch
        {
            // Downstream stopped (Select-Object -First) or a write failed: stop the work, then let it finish.
            _stopping.Cancel();
            foreach (var _ in queue.GetConsumingEnumerable())
            {
            }

            WaitQuietly(work);
            throw;
        }
        finally
        {
            _pipelineQueue = null;
        }

        RunDeferred();

        try
        {
            work.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception exception) when (!(exception is PipelineStoppedException))
        {
            var record = ToErrorRecord(exception);
            if (record == null)
            {
                throw;
            }

            if (IsTerminating(exception))
            {
                ThrowTerminatingError(record);
            }

            base.WriteError(record);
        }
    }

    private static void WaitQuietly(Task task)
    {
        try
        {
            task.Wait();
        }
        catch
        {
            // Already failing on the pipeline thread; the first error wins.
        }
    }

    /// <summary>Runs an action on the pipeline thread: directly when already there, else through the running block's
    /// queue, else (work still in flight between two blocks, e.g. with -ThrottleLimit) at the start of the next block.</summary>
    protected void OnPipelineThread(Action action)
    {
        if (Environment.CurrentManagedThreadId == _pipelineThreadId)
        {
            action();
            return;
        }

        var queue = _pipelineQueue;
        if (queue != null)
        {
            try
            {
                queue.Add(action);
                return;
            }
            catch (InvalidOperationException)
            {
                // The block is ending: keep the write for the next block.
            }
        }

        _deferred.Enqueue(action);
    }

    private void RunDeferred()
    {
        while (_deferred.TryDequeue(out var action))
        {
            action();
        }
    }

    /// <summary>Asks a question on the pipeline thread and waits for the answer.</summary>
    protected Task<T> AskOnPipelineThread<T>(Func<T> question)
    {
        var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        OnPipelineThread(() =>
        {
            try
            {
                answer.TrySetResult(question());
            }
            catch (Exception exception)
            {
                answer.TrySetException(exception);
            }
        });
        return answer.Task;
    }

    protected new void WriteObject(object? sendToPipeline) => OnPipelineThread(() => base.WriteObject(sendToPipeline));

    protected new void WriteObject(object? sendToPipeline, bool enumerateCollection) => OnPipelineThread(() => base.WriteObject(sendToPipeline, enumerateCollection));

    protected new void WriteError(ErrorRecord errorRecord) => OnPipelineThread(() => base.WriteError(errorRecord));

    protected new void WriteWarning(string text) => OnPipelineThread(() => base.WriteWarning(text));

    protected new void WriteVerbose(string text) => OnPipelineThread(() => base.WriteVerbose(text));

    protected new void WriteDebug(string text) => OnPipelineThread(() => base.WriteDebug(text));

    protected new void WriteProgress(ProgressRecord progressRecord) => OnPipelineThread(() => base.WriteProgress(progressRecord));

    protected new void WriteInformation(object messageData, string[] tags) => OnPipelineThread(() => base.WriteInformation(messageData, tags));

    protected Task<bool> ShouldProcessAsync(string target, string action) => AskOnPipelineThread(() => base.ShouldProcess(target, action));

    protected Task<bool> ShouldContinueAsync(string query, string caption) => AskOnPipelineThread(() => base.ShouldContinue(query, caption));

    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}

using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Import;

namespace BedrockImport.Engine.Tests.Import;

public class ImportJobWaiterTests
{
    private sealed class FakeJobs
    {
        public readonly Dictionary<string, Queue<string>> Statuses = new();
        public int Calls;

        public Task<ModelImportJob> Get(string id, CancellationToken _)
        {
            Calls++;
            var queue = Statuses[id];
            var status = queue.Count > 1 ? queue.Dequeue() : queue.Peek();
            return Task.FromResult(new ModelImportJob { JobName = id, Status = status, FailureMessage = status == "Failed" ? "bad config" : null });
        }
    }

    [Fact]
    public async Task Waits_for_every_job_and_reports_each_end_once()
    {
        var jobs = new FakeJobs();
        jobs.Statuses["a"] = new Queue<string>(new[] { "InProgress", "InProgress", "Completed" });
        jobs.Statuses["b"] = new Queue<string>(new[] { "InProgress", "Failed" });
        var now = DateTimeOffset.UnixEpoch;
        var delays = new List<TimeSpan>();
        var waiter = new ImportJobWaiter(jobs.Get, (d, _) => { delays.Add(d); now += d; return Task.CompletedTask; }, () => now)
        {
            FirstInterval = TimeSpan.FromSeconds(2),
            MaxInterval = TimeSpan.FromSeconds(3),
        };
        var ended = new List<string>();

        var running = await waiter.WaitAsync(new[] { "a", "b", "a" }, null, (_, _) => { }, j => { ended.Add(j.JobName + ":" + j.Status); return Task.CompletedTask; }, CancellationToken.None);

        Assert.Empty(running);
        Assert.Equal(new[] { "b:Failed", "a:Completed" }, ended);
        Assert.Equal(new[] { TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3) }, delays);
        Assert.Equal(5, jobs.Calls);
    }

    [Fact]
    public async Task Returns_jobs_still_running_at_the_timeout_without_waiting_past_it()
    {
        var jobs = new FakeJobs();
        jobs.Statuses["slow"] = new Queue<string>(new[] { "InProgress" });
        var now = DateTimeOffset.UnixEpoch;
        var waiter = new ImportJobWaiter(jobs.Get, (d, _) => { now += d; return Task.CompletedTask; }, () => now);

        var running = await waiter.WaitAsync(new[] { "slow" }, TimeSpan.FromSeconds(10), (_, _) => { }, _ => Task.CompletedTask, CancellationToken.None);

        Assert.Equal("slow", Assert.Single(running).JobName);
        Assert.Equal(DateTimeOffset.UnixEpoch + TimeSpan.FromSeconds(10), now);
    }

    [Fact]
    public async Task Cancellation_during_the_pause_ends_the_wait_at_once()
    {
        var jobs = new FakeJobs();
        jobs.Statuses["x"] = new Queue<string>(new[] { "InProgress" });
        using var cancel = new CancellationTokenSource();
        var waiter = new ImportJobWaiter(jobs.Get) { FirstInterval = TimeSpan.FromHours(1) };

        var wait = waiter.WaitAsync(new[] { "x" }, null, (_, _) => cancel.Cancel(), _ => Task.CompletedTask, cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }
}

using System.Net;
using System.Text;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Errors;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Wire;

public class RetryPolicyTests
{
    private static readonly InvokeModelRequest Request = new() { ModelId = Kit.ModelArn, Body = Encoding.UTF8.GetBytes("{\"prompt\":\"hi\"}") };

    private static HttpResponseMessage Ok() => FakeHandler.Json(HttpStatusCode.OK, "{\"generation\":\"ok\"}");

    [Fact]
    public async Task Throttling_IsRetriedUpToMaxAttemptsWithFullJitterExponentialBackoff()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error((HttpStatusCode)429, "ThrottlingException", "slow down"));
        var time = new InstantTimeProvider();
        var log = new RecordingLog();
        using var client = Kit.Runtime(handler, Kit.FastOptions(maxAttempts: 5), time, log);

        await Assert.ThrowsAsync<ThrottlingException>(() => client.InvokeModelAsync(Request, CancellationToken.None));

        Assert.Equal(5, handler.Requests.Count);
        // rand = 0.5, base 1 s: 0.5 * 1, 0.5 * 2, 0.5 * 4, 0.5 * 8
        Assert.Equal(new[] { 0.5, 1.0, 2.0, 4.0 }, time.Delays.Select(d => d.TotalSeconds));
        Assert.Contains("Retrying InvokeModel after 0.5 s (attempt 2 of 5): ThrottlingException: slow down", log.VerboseLines);
        Assert.Contains("Retrying InvokeModel after 4.0 s (attempt 5 of 5): ThrottlingException: slow down", log.VerboseLines);
    }

    [Fact]
    public async Task Backoff_IsCappedAtMaxDelay()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error((HttpStatusCode)429, "TooManyRequestsException", "slow"));
        var time = new InstantTimeProvider();
        var options = Kit.FastOptions(maxAttempts: 8);
        options.MaxDelay = TimeSpan.FromSeconds(3);
        using var client = Kit.Runtime(handler, options, time);

        await Assert.ThrowsAnyAsync<AwsServiceException>(() => client.InvokeModelAsync(Request, CancellationToken.None));

        Assert.Equal(8, handler.Requests.Count);
        Assert.Equal(new[] { 0.5, 1.0, 1.5, 1.5, 1.5, 1.5, 1.5 }, time.Delays.Select(d => d.TotalSeconds));
    }

    [Theory]
    [InlineData(500, "InternalServerException")]
    [InlineData(503, "ServiceUnavailableException")]
    [InlineData(400, "RequestTimeoutException")]
    [InlineData(504, "GatewayTimeout")]
    public async Task TransientErrors_UseTransientBaseDelay_AndSucceedWhenTheServiceRecovers(int status, string code)
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error((HttpStatusCode)status, code, "oops"), () => FakeHandler.Error((HttpStatusCode)status, code, "oops"), Ok);
        var time = new InstantTimeProvider();
        using var client = Kit.Runtime(handler, Kit.FastOptions(), time);

        var result = await client.InvokeModelAsync(Request, CancellationToken.None);

        Assert.Equal("{\"generation\":\"ok\"}", Encoding.UTF8.GetString(result.Body));
        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal(new[] { 25.0, 50.0 }, time.Delays.Select(d => d.TotalMilliseconds));
    }

    [Fact]
    public async Task HtmlBadGatewayFromProxy_IsRetried()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Raw(HttpStatusCode.BadGateway, "text/html", Encoding.UTF8.GetBytes("<html>bad</html>")), Ok);
        using var client = Kit.Runtime(handler);

        await client.InvokeModelAsync(Request, CancellationToken.None);

        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task NetworkErrors_AreRetried()
    {
        var handler = new FakeHandler((_, i) => i switch
        {
            0 => throw new HttpRequestException("connection refused"),
            1 => throw new IOException("connection reset"),
            _ => Ok(),
        });
        var log = new RecordingLog();
        using var client = Kit.Runtime(handler, log: log);

        await client.InvokeModelAsync(Request, CancellationToken.None);

        Assert.Equal(3, handler.Requests.Count);
        Assert.Contains(log.VerboseLines, l => l.Contains("(attempt 2 of 5): HttpRequestException: connection refused"));
    }

    [Fact]
    public async Task HttpTimeout_IsRetriedAsTransient()
    {
        var handler = new FakeHandler(async (_, i, token) =>
        {
            if (i == 0)
            {
                await Task.Delay(Timeout.Infinite, token);
            }

            return Ok();
        });
        var options = Kit.FastOptions();
        options.RequestTimeout = TimeSpan.FromMilliseconds(50);
        using var client = Kit.Runtime(handler, options);

        await client.InvokeModelAsync(Request, CancellationToken.None);

        Assert.Equal(2, handler.Requests.Count);
    }

    [Theory]
    [InlineData(400, "ValidationException")]
    [InlineData(403, "AccessDeniedException")]
    [InlineData(404, "ResourceNotFoundException")]
    [InlineData(400, "ConflictException")]
    [InlineData(400, "ServiceQuotaExceededException")]
    [InlineData(400, "TooManyTagsException")]
    [InlineData(424, "ModelErrorException")]
    [InlineData(500, "ModelErrorException")]
    public async Task ClientErrors_AreNeverRetried(int status, string code)
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error((HttpStatusCode)status, code, "no"), Ok);
        var time = new InstantTimeProvider();
        using var client = Kit.Runtime(handler, Kit.FastOptions(), time);

        var error = await Assert.ThrowsAnyAsync<AwsServiceException>(() => client.InvokeModelAsync(Request, CancellationToken.None));

        Assert.Equal(code, error.ErrorCode);
        Assert.Single(handler.Requests);
        Assert.Empty(time.Delays);
    }

    [Fact]
    public async Task RetryAfterHeader_IsHonoured()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error((HttpStatusCode)429, "ThrottlingException", "slow", ("x-amz-retry-after", "1234")), Ok);
        var time = new InstantTimeProvider();
        using var client = Kit.Runtime(handler, Kit.FastOptions(), time);

        await client.InvokeModelAsync(Request, CancellationToken.None);

        Assert.Equal(new[] { TimeSpan.FromMilliseconds(1234) }, time.Delays);
    }

    [Fact]
    public async Task ModelNotReady_IsRetriedBeyondMaxAttemptsWithinColdStartBudget_AndReportsProgress()
    {
        var handler = FakeHandler.Sequence(Enumerable.Repeat<Func<HttpResponseMessage>>(() => FakeHandler.Error((HttpStatusCode)429, "ModelNotReadyException", "Model is not ready for inference."), 5).Append(Ok).ToArray());
        var time = new InstantTimeProvider();
        var log = new RecordingLog();
        var waits = new List<ColdStartWait>();
        var options = Kit.FastOptions(maxAttempts: 2);
        options.ColdStartBudget = TimeSpan.FromMinutes(5);
        options.OnColdStartWait = waits.Add;
        using var client = Kit.Runtime(handler, options, time, log);

        await client.InvokeModelAsync(Request, CancellationToken.None);

        Assert.Equal(6, handler.Requests.Count);
        // half jitter with rand 0.5: 0.75 * min(1 s * 2^(n-1), 2 s)
        Assert.Equal(new[] { 0.75, 1.5, 1.5, 1.5, 1.5 }, time.Delays.Select(d => d.TotalSeconds));
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, waits.Select(w => w.Attempt));
        Assert.Equal(TimeSpan.Zero, waits[0].Elapsed);
        Assert.Equal(TimeSpan.FromSeconds(0.75), waits[1].Elapsed);
        Assert.All(waits, w => Assert.Equal("InvokeModel", w.Operation));
        Assert.Contains("Model is loading (ModelNotReadyException); waiting 0.75 s before retrying InvokeModel (0.0 s of 5 min cold-start budget used).", log.VerboseLines);
    }

    [Fact]
    public async Task ModelNotReady_SurfacesWhenColdStartBudgetIsExhausted()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error((HttpStatusCode)429, "ModelNotReadyException", "Model is not ready"));
        var time = new InstantTimeProvider();
        var options = Kit.FastOptions(maxAttempts: 1);
        options.ColdStartBudget = TimeSpan.FromSeconds(5);
        using var client = Kit.Runtime(handler, options, time, random: 1.0);

        await Assert.ThrowsAsync<ModelNotReadyException>(() => client.InvokeModelAsync(Request, CancellationToken.None));

        // rand 1: waits 1, 2, 2, then the 0 s left of the budget's 5 s
        Assert.Equal(new[] { 1.0, 2.0, 2.0 }, time.Delays.Select(d => d.TotalSeconds));
        Assert.Equal(4, handler.Requests.Count);
        Assert.Equal(TimeSpan.FromSeconds(5), time.TotalDelay);
    }

    [Fact]
    public async Task ColdStartWait_NeverOvershootsTheBudget()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error((HttpStatusCode)429, "ModelNotReadyException", "Model is not ready"));
        var time = new InstantTimeProvider();
        var options = Kit.FastOptions();
        options.ColdStartBudget = TimeSpan.FromSeconds(4);
        using var client = Kit.Runtime(handler, options, time, random: 1.0);

        await Assert.ThrowsAsync<ModelNotReadyException>(() => client.InvokeModelAsync(Request, CancellationToken.None));

        Assert.Equal(new[] { 1.0, 2.0, 1.0 }, time.Delays.Select(d => d.TotalSeconds));
    }

    [Fact]
    public async Task CancellationDuringBackoff_ReturnsAtOnceWithOperationCanceled()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error((HttpStatusCode)429, "ThrottlingException", "slow"));
        using var cts = new CancellationTokenSource();
        var time = new InstantTimeProvider { Hold = true };
        time.TimerCreated = () => Task.Run(cts.Cancel);
        using var client = Kit.Runtime(handler, Kit.FastOptions(), time);

        var call = client.InvokeModelAsync(Request, cts.Token);
        var finished = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(30)));

        Assert.Same(call, finished);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task CallerCancellation_IsNotRetried()
    {
        using var cts = new CancellationTokenSource();
        var handler = new FakeHandler(async (_, _, token) =>
        {
            cts.Cancel();
            await Task.Delay(Timeout.Infinite, token);
            return Ok();
        });
        using var client = Kit.Runtime(handler);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.InvokeModelAsync(Request, cts.Token));

        Assert.Single(handler.Requests);
    }

    [Fact]
    public void Classify_SortsErrorsIntoRetryClasses()
    {
        Assert.Equal(RetryClass.Throttling, RetryPolicy.Classify(new AwsServiceException("TooManyRequestsException", "m", 400, null), default));
        Assert.Equal(RetryClass.Throttling, RetryPolicy.Classify(new AwsServiceException("Unknown", "m", 429, null), default));
        Assert.Equal(RetryClass.Transient, RetryPolicy.Classify(new AwsServiceException("Unknown", "m", 502, null), default));
        Assert.Equal(RetryClass.ColdStart, RetryPolicy.Classify(new ModelNotReadyException("m", 429, null), default));
        Assert.Equal(RetryClass.None, RetryPolicy.Classify(new AwsServiceException("Unknown", "m", 418, null), default));
        Assert.Equal(RetryClass.None, RetryPolicy.Classify(new ModelTimeoutException("m", 408, null), default));
        Assert.Equal(RetryClass.None, RetryPolicy.Classify(new UnexpectedResponseException("m", 200, null), default));
        Assert.Equal(RetryClass.None, RetryPolicy.Classify(new InvalidOperationException(), default));
        Assert.Equal(RetryClass.Transient, RetryPolicy.Classify(new TaskCanceledException(), default));
        Assert.Equal(RetryClass.None, RetryPolicy.Classify(new TaskCanceledException(), new CancellationToken(true)));
    }
}

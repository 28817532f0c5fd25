using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Soak;

/// <summary>The answer book the soak's model is imported with: the prompt of a request holds one key, and the stand-in
/// generator answers the reply of that key, so each answer tells which request it belongs to.</summary>
internal static class AnswerBook
{
    public static string Key(int index) => string.Format(CultureInfo.InvariantCulture, "[soak-k{0:D4}]", index);

    public static string Reply(int index) => string.Format(CultureInfo.InvariantCulture, "reply k{0:D4} from the soak book", index);
}

/// <summary>What the workers share: the ledger, the upload accounts and the options.</summary>
internal sealed class SoakShared
{
    public SoakShared(SoakOptions options) => Options = options;

    public SoakOptions Options { get; }
    public Ledger Ledger { get; } = new();
    public HttpClient Admin { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Uploads started and neither completed nor aborted yet, by upload id.</summary>
    public ConcurrentDictionary<string, string> OpenUploads { get; } = new(StringComparer.Ordinal);

    public long UploadsStarted, UploadsCompleted, UploadsVerified, UploadsAborted, PartsCancelled, VerifyFailures;
    public int ExpectedModelObjects;
}

/// <summary>One of the concurrent clients: its own Engine clients and S3 client, picking a request kind at random each turn.</summary>
internal sealed class SoakClient
{
    private const int MaxTokens = 16;
    private const int SmallPartMin = 16 * 1024, SmallPartMax = 256 * 1024;
    private const int LargePartBytes = 5 * 1024 * 1024; // the smallest part S3 takes before the last one

    private static readonly (string Kind, int Weight)[] Mix =
    {
        ("invoke", 24), ("invokeStream", 18), ("converse", 14), ("converseStream", 14),
        ("listImportedModels", 6), ("listModelImportJobs", 6), ("listObjects", 8), ("upload", 10),
    };

    private readonly int _index;
    private readonly SoakShared _shared;
    private readonly Random _random;
    private readonly BedrockRuntimeClient _runtime;
    private readonly BedrockControlClient _control;
    private readonly AmazonS3Client _s3;
    private int _sequence;

    public SoakClient(int index, SoakShared shared, AwsSession session, RetryOptions once, AmazonS3Client s3)
    {
        _index = index;
        _shared = shared;
        _random = new Random(shared.Options.Seed * 1000 + index);
        _runtime = new BedrockRuntimeClient(session, once);
        _control = new BedrockControlClient(session, once);
        _s3 = s3;
    }

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var kind = Pick();
            _sequence++;
            switch (kind)
            {
                case "invoke": await InvokeAsync().ConfigureAwait(false); break;
                case "invokeStream": await InvokeStreamAsync().ConfigureAwait(false); break;
                case "converse": await ConverseAsync().ConfigureAwait(false); break;
                case "converseStream": await ConverseStreamAsync().ConfigureAwait(false); break;
                case "listImportedModels": await ListImportedModelsAsync().ConfigureAwait(false); break;
                case "listModelImportJobs": await ListModelImportJobsAsync().ConfigureAwait(false); break;
                case "listObjects": await ListObjectsAsync().ConfigureAwait(false); break;
                default: await UploadAsync().ConfigureAwait(false); break;
            }
        }
    }

    private string Pick()
    {
        var roll = _random.Next(Mix.Sum(m => m.Weight));
        foreach (var (kind, weight) in Mix)
        {
            if (roll < weight) return kind;
            roll -= weight;
        }

        return Mix[0].Kind;
    }

    /// <summary>A new prompt: this client, its sequence number and one key of the answer book.</summary>
    private (string Prompt, string Expected) NextPrompt()
    {
        var key = _random.Next(_shared.Options.BookKeys);
        var prompt = string.Format(CultureInfo.InvariantCulture, "Soak client {0} request {1}: please answer {2}.", _index, _sequence, AnswerBook.Key(key));
        return (prompt, AnswerBook.Reply(key));
    }

    private string ModelArn => _shared.Options.ModelArn;

    private InvokeModelRequest CompletionRequest(string prompt)
        => new() { ModelId = ModelArn, Body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["prompt"] = prompt, ["max_gen_len"] = MaxTokens }) };

    private ConverseRequest ChatRequest(string prompt)
        => new()
        {
            ModelId = ModelArn,
            Messages = { ConverseMessage.FromText(ConverseRoles.User, prompt) },
            InferenceConfig = new InferenceConfiguration { MaxTokens = MaxTokens },
        };

    private Task InvokeAsync()
    {
        var (prompt, expected) = NextPrompt();
        return Timed("bedrock:InvokeModel", async () =>
        {
            var result = await _runtime.InvokeModelAsync(CompletionRequest(prompt), CancellationToken.None).ConfigureAwait(false);
            using var body = JsonDocument.Parse(result.Body);
            return Judge(body.RootElement.GetProperty("generation").GetString(), expected);
        });
    }

    /// <summary>One stream in eight is broken off after its first chunk (the client goes away mid-stream).</summary>
    private bool BreakOffThisStream() => _random.Next(8) == 0;

    private Task InvokeStreamAsync()
    {
        var (prompt, expected) = NextPrompt();
        var breakOff = BreakOffThisStream();
        return Timed("bedrock:InvokeModelWithResponseStream", async () =>
        {
            var text = new StringBuilder();
            await foreach (var chunk in _runtime.InvokeModelWithResponseStreamAsync(CompletionRequest(prompt), CancellationToken.None).ConfigureAwait(false))
            {
                using var piece = JsonDocument.Parse(chunk.Bytes);
                if (piece.RootElement.TryGetProperty("generation", out var generation)) text.Append(generation.GetString());
                if (breakOff) return expected.StartsWith(text.ToString(), StringComparison.Ordinal) ? Outcome.Cancelled : Outcome.Mismatched;
            }

            return Judge(text.ToString(), expected);
        });
    }

    private Task ConverseAsync()
    {
        var (prompt, expected) = NextPrompt();
        return Timed("bedrock:Converse", async () =>
        {
            var answer = await _runtime.ConverseAsync(ChatRequest(prompt), CancellationToken.None).ConfigureAwait(false);
            return Judge(answer.Output?.Message?.Content.FirstOrDefault()?.Text, expected);
        });
    }

    private Task ConverseStreamAsync()
    {
        var (prompt, expected) = NextPrompt();
        var breakOff = BreakOffThisStream();
        return Timed("bedrock:ConverseStream", async () =>
        {
            var text = new StringBuilder();
            await foreach (var item in _runtime.ConverseStreamAsync(ChatRequest(prompt), CancellationToken.None).ConfigureAwait(false))
            {
                if (item.EventType != ConverseStreamEventTypes.ContentBlockDelta) continue;
                text.Append(item.Delta?.Text);
                if (breakOff) return expected.StartsWith(text.ToString(), StringComparison.Ordinal) ? Outcome.Cancelled : Outcome.Mismatched;
            }

            return Judge(text.ToString(), expected);
        });
    }

    private static Outcome Judge(string? answer, string expected) => answer == expected ? Outcome.Ok : Outcome.Mismatched;

    private Task ListImportedModelsAsync()
        => Timed("bedrock:ListImportedModels", async () =>
        {
            var models = await _control.ListImportedModelsAsync(new ListImportedModelsRequest(), CancellationToken.None).ConfigureAwait(false);
            return models.Any(m => m.ModelArn == ModelArn) ? Outcome.Ok : Outcome.Mismatched;
        });

    private Task ListModelImportJobsAsync()
        => Timed("bedrock:ListModelImportJobs", async () =>
        {
            var jobs = await _control.ListModelImportJobsAsync(new ListModelImportJobsRequest(), CancellationToken.None).ConfigureAwait(false);
            return jobs.Count > 0 ? Outcome.Ok : Outcome.Mismatched;
        });

    private Task ListObjectsAsync()
        => Timed("s3:ListObjectsV2", async () =>
        {
            var listing = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _shared.Options.Bucket, Prefix = _shared.Options.ModelPrefix }).ConfigureAwait(false);
            return (listing.KeyCount ?? 0) == _shared.ExpectedModelObjects ? Outcome.Ok : Outcome.Mismatched;
        });

    /// <summary>A multipart upload that ends completed (then checked and deleted) or aborted: 70 % complete, 20 % are
    /// aborted after their parts, 10 % cancel a 5 MiB part mid-body and abort.</summary>
    private async Task UploadAsync()
    {
        var bucket = _shared.Options.Bucket;
        var key = string.Format(CultureInfo.InvariantCulture, "soak-uploads/c{0:D3}/u{1:D6}", _index, _sequence);
        var plan = _random.Next(10);
        var sizes = plan == 9 ? new[] { LargePartBytes }
            : _random.Next(8) == 0 ? new[] { LargePartBytes, _random.Next(SmallPartMin, SmallPartMax) }
            : new[] { _random.Next(SmallPartMin, SmallPartMax) };
        var contentSeed = _random.Next();

        string? uploadId = null;
        await Timed("s3:CreateMultipartUpload", async () =>
        {
            uploadId = (await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key }).ConfigureAwait(false)).UploadId;
            return string.IsNullOrEmpty(uploadId) ? Outcome.Mismatched : Outcome.Ok;
        }).ConfigureAwait(false);
        if (string.IsNullOrEmpty(uploadId)) return;
        Interlocked.Increment(ref _shared.UploadsStarted);
        _shared.OpenUploads[uploadId] = key;

        var content = new byte[sizes.Sum()];
        new Random(contentSeed).NextBytes(content);
        var parts = new List<PartETag>();
        var offset = 0;
        var partsOk = true;
        for (var n = 0; n < sizes.Length; n++)
        {
            var partNumber = n + 1;
            var (start, length) = (offset, sizes[n]);
            offset += length;
            using var cancel = new CancellationTokenSource();
            if (plan == 9) cancel.CancelAfter(TimeSpan.FromMilliseconds(_random.Next(1, 20)));
            var outcome = await Timed("s3:UploadPart", async () =>
            {
                var answer = await _s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = partNumber,
                    InputStream = new MemoryStream(content, start, length, writable: false), PartSize = length,
                }, cancel.Token).ConfigureAwait(false);
                parts.Add(new PartETag(partNumber, answer.ETag));
                return Outcome.Ok;
            }, cancel.Token).ConfigureAwait(false);
            if (outcome == Outcome.Cancelled) Interlocked.Increment(ref _shared.PartsCancelled);
            if (outcome != Outcome.Ok)
            {
                partsOk = false;
                break;
            }
        }

        if (plan < 7 && partsOk)
        {
            var completed = await Timed("s3:CompleteMultipartUpload", async () =>
            {
                await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId, PartETags = parts }).ConfigureAwait(false);
                return Outcome.Ok;
            }).ConfigureAwait(false);
            if (completed == Outcome.Ok)
            {
                _shared.OpenUploads.TryRemove(uploadId, out _);
                Interlocked.Increment(ref _shared.UploadsCompleted);
                await VerifyAndDeleteAsync(bucket, key, content).ConfigureAwait(false);
                return;
            }
        }

        var aborted = await Timed("s3:AbortMultipartUpload", async () =>
        {
            await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }).ConfigureAwait(false);
            return Outcome.Ok;
        }).ConfigureAwait(false);
        if (aborted == Outcome.Ok)
        {
            _shared.OpenUploads.TryRemove(uploadId, out _);
            Interlocked.Increment(ref _shared.UploadsAborted);
        }
    }

    /// <summary>The completed object has the size and SHA-256 of the bytes sent (the endpoint's admin API hashes what is
    /// on disk), then it is deleted so a long soak does not fill the disk.</summary>
    private async Task VerifyAndDeleteAsync(string bucket, string key, byte[] content)
    {
        var head = await Timed("s3:HeadObject", async () =>
        {
            var metadata = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }).ConfigureAwait(false);
            return metadata.ContentLength == content.Length ? Outcome.Ok : Outcome.Mismatched;
        }).ConfigureAwait(false);

        var expectedSha = Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();
        var listing = await _shared.Admin.GetFromJsonAsync<AdminObjects>(
            $"{_shared.Options.EndpointUrl}/_admin/s3/objects?bucket={Uri.EscapeDataString(bucket)}&prefix={Uri.EscapeDataString(key)}").ConfigureAwait(false);
        var stored = listing?.Objects?.SingleOrDefault(o => o.Key == key);
        if (head == Outcome.Ok && stored != null && stored.Size == content.Length && stored.Sha256 == expectedSha)
            Interlocked.Increment(ref _shared.UploadsVerified);
        else
            Interlocked.Increment(ref _shared.VerifyFailures);

        await Timed("s3:DeleteObject", async () =>
        {
            await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key }).ConfigureAwait(false);
            return Outcome.Ok;
        }).ConfigureAwait(false);
    }

    /// <summary>Sends one request through the ledger and records exactly one outcome for it.</summary>
    private async Task<Outcome> Timed(string operation, Func<Task<Outcome>> send, CancellationToken cancellation = default)
    {
        var id = _shared.Ledger.Send(operation);
        var clock = Stopwatch.StartNew();
        Outcome outcome;
        int status = 0;
        string? detail = null;
        try
        {
            outcome = await send().ConfigureAwait(false);
            if (outcome == Outcome.Mismatched) detail = "the answer does not match its request";
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            outcome = Outcome.Cancelled;
        }
        catch (AwsServiceException error) when (error.StatusCode > 0)
        {
            (outcome, status, detail) = (Outcome.HttpError, error.StatusCode, error.ErrorCode + ": " + error.Message);
        }
        catch (AmazonS3Exception error) when ((int)error.StatusCode > 0)
        {
            (outcome, status, detail) = (Outcome.HttpError, (int)error.StatusCode, error.ErrorCode + ": " + error.Message);
        }
        catch (Exception error)
        {
            (outcome, detail) = (Outcome.NoAnswer, error.GetType().Name + ": " + error.Message);
        }

        _shared.Ledger.Record(id, outcome, clock.Elapsed.TotalMilliseconds, status, detail);
        return outcome;
    }
}

internal sealed class AdminObjects
{
    public List<AdminObject>? Objects { get; set; }
}

internal sealed class AdminObject
{
    public string Key { get; set; } = "";
    public long Size { get; set; }
    public string? Sha256 { get; set; }
}

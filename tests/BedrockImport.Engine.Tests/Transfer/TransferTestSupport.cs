using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Tests.Credentials;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;
using BedrockImport.LocalEndpoint;
using BedrockImport.LocalEndpoint.Hosting;

namespace BedrockImport.Engine.Tests.Transfer;

/// <summary>The local endpoint in-process on 127.0.0.1 with a bucket, a temporary model folder and a session for both.</summary>
internal sealed class LocalS3 : IAsyncDisposable
{
    public const string Bucket = "models";
    public const long MiB = 1024 * 1024;

    private LocalS3(LocalEndpointServer server, string root)
    {
        Server = server;
        Root = root;
        Folder = Path.Combine(root, "model");
        Directory.CreateDirectory(Folder);
        Session = SessionFor(server.BaseUrl.ToString(), server.AccessKeyId, server.SecretAccessKey);
    }

    public LocalEndpointServer Server { get; }
    public string Root { get; }
    public string Folder { get; }
    public AwsSession Session { get; }

    /// <summary>Tiny backoff so retried faults do not slow the tests.</summary>
    public static RetryOptions FastRetry(int maxAttempts = 10) => new RetryOptions
    {
        MaxAttempts = maxAttempts,
        TransientBaseDelay = TimeSpan.FromMilliseconds(1),
        ThrottleBaseDelay = TimeSpan.FromMilliseconds(1),
        MaxDelay = TimeSpan.FromMilliseconds(5),
    };

    public static AwsSession SessionFor(string endpoint, string accessKey, string secretKey)
        => new AwsSession(new BasicAWSCredentials(accessKey, secretKey), "us-east-1", "test keys", "test region", endpoint,
            new FakeEnvironment());

    public static async Task<LocalS3> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "bi-transfer-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var server = await LocalEndpointServer.StartAsync(new LocalEndpointOptions { Port = 0, DataDirectory = Path.Combine(root, "endpoint") });
        server.Context.S3.CreateBucket(Bucket);
        return new LocalS3(server, root);
    }

    public AmazonS3Client Client() => S3ClientFactory.Create(Session, new RetryOptions());

    public UploadRequest Request(string prefix = "llama/", AwsSession session = null) => new UploadRequest(new LocalFolderSource(Folder), S3Uri.Parse($"s3://{Bucket}/{prefix}"), session ?? Session)
    {
        Retry = FastRetry(),
        Log = new RecordingLog(),
    };

    /// <summary>Writes a file of pseudo-random bytes (deterministic per seed) and returns its path.</summary>
    public string WriteFile(string relativePath, long size, int seed = 1)
    {
        var path = Path.Combine(Folder, relativePath.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(seed);
        var buffer = new byte[1024 * 1024];
        using var stream = File.Create(path);
        for (var left = size; left > 0; left -= buffer.Length)
        {
            random.NextBytes(buffer);
            stream.Write(buffer, 0, (int)Math.Min(buffer.Length, left));
        }

        return path;
    }

    public static string Sha256OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    public async Task<string> Sha256OfObjectAsync(string key)
    {
        using var client = Client();
        using var response = await client.GetObjectAsync(Bucket, key);
        using var sha = SHA256.Create();
        return Convert.ToHexString(await sha.ComputeHashAsync(response.ResponseStream));
    }

    public async Task<List<MultipartUpload>> ListUploadsAsync()
    {
        using var client = Client();
        var response = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket });
        return response.MultipartUploads ?? new List<MultipartUpload>();
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Reports synchronously on the worker thread (Progress&lt;T&gt; would post asynchronously).</summary>
internal sealed class InlineProgress : IProgress<TransferProgress>
{
    private readonly Action<TransferProgress> _onReport;
    public InlineProgress(Action<TransferProgress> onReport) => _onReport = onReport;
    public List<TransferProgress> Reports { get; } = new();
    public void Report(TransferProgress value)
    {
        lock (Reports)
        {
            Reports.Add(value);
        }

        _onReport?.Invoke(value);
    }
}

/// <summary>A loopback TCP relay that records the request headers the client sends (the bytes pass through unchanged,
/// so SigV4 still verifies: the client signs the relay's host, which is what the endpoint receives). With
/// corruptOnePart, it flips one byte in the body of the first UploadPart it relays: a part corrupted in flight.</summary>
internal sealed class RecordingRelay : IDisposable
{
    private static readonly System.Text.RegularExpressions.Regex PartHead = new(@"PUT \S*uploadId=\S* HTTP/1\.1\r\n.*?\r\n\r\n",
        System.Text.RegularExpressions.RegexOptions.Singleline);

    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly StringBuilder _sent = new();
    private int _corruptionsLeft;

    public RecordingRelay(Uri target, bool corruptOnePart = false)
    {
        _corruptionsLeft = corruptOnePart ? 1 : 0;
        _target = new IPEndPoint(IPAddress.Loopback, target.Port);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
        _ = AcceptLoopAsync();
    }

    public string Url { get; }

    /// <summary>True once the relay has flipped a byte of a part's body.</summary>
    public bool Corrupted { get; private set; }

    /// <summary>The header blocks of every request sent through the relay.</summary>
    public List<string> RequestHeads()
    {
        string text;
        lock (_sent)
        {
            text = _sent.ToString();
        }

        return System.Text.RegularExpressions.Regex.Matches(text, @"(?:PUT|POST|GET|HEAD|DELETE) \S+ HTTP/1\.1\r\n.*?\r\n\r\n",
                System.Text.RegularExpressions.RegexOptions.Singleline)
            .Select(m => m.Value).ToList();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(_target.Address, _target.Port, _stop.Token);
                var down = client.GetStream();
                var up = upstream.GetStream();
                var toServer = CopyAsync(down, up, record: true);
                var toClient = CopyAsync(up, down, record: false);
                await Task.WhenAny(toServer, toClient);
            }
            catch (Exception)
            {
            }
        }
    }

    private async Task CopyAsync(Stream from, Stream to, bool record)
    {
        var buffer = new byte[81920];
        int read;
        // This connection's recent bytes (Latin-1), where a part's header block is looked for, and where they start.
        var window = "";
        long windowStart = 0;
        long position = 0;
        long flipAt = -1;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            if (record)
            {
                // Latin-1 keeps one char per byte; bodies are recorded too but only header blocks are parsed.
                var text = Encoding.Latin1.GetString(buffer, 0, read);
                lock (_sent)
                {
                    _sent.Append(text);
                }

                if (flipAt < 0 && Volatile.Read(ref _corruptionsLeft) > 0)
                {
                    window += text;
                    var head = PartHead.Match(window);
                    if (head.Success && Interlocked.Decrement(ref _corruptionsLeft) == 0)
                    {
                        // A byte well inside the body (parts are at least 5 MiB), not the first one after the headers.
                        flipAt = windowStart + head.Index + head.Length + 4096;
                    }
                    else if (window.Length > 16384)
                    {
                        windowStart += window.Length - 8192;
                        window = window.Substring(window.Length - 8192);
                    }
                }

                if (flipAt >= position && flipAt < position + read)
                {
                    buffer[flipAt - position] ^= 0xFF;
                    Corrupted = true;
                }

                position += read;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }

        to.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}

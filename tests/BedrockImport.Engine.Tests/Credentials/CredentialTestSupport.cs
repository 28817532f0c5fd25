using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;

namespace BedrockImport.Engine.Tests.Credentials
{
    internal sealed class FakeEnvironment : IEnvironment
    {
        private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

        public FakeEnvironment Set(string name, string value)
        {
            _values[name] = value;
            return this;
        }

        public FakeEnvironment Remove(string name)
        {
            _values.Remove(name);
            return this;
        }

        public string Get(string name) => _values.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
    }

    internal sealed class RecordingLog : IEngineLog
    {
        public ConcurrentQueue<string> Messages { get; } = new();
        public void Verbose(string message) => Messages.Enqueue("VERBOSE: " + message);
        public void Debug(string message) => Messages.Enqueue("DEBUG: " + message);
        public void Warning(string message) => Messages.Enqueue("WARNING: " + message);
        public string All => string.Join("\n", Messages);
    }

    /// <summary>A temporary HOME with ~/.aws/credentials and ~/.aws/config, and an environment pointing at it
    /// with instance metadata disabled so nothing leaves the machine.</summary>
    internal sealed class TempAwsHome : IDisposable
    {
        public string Home { get; }
        public string AwsDirectory => Path.Combine(Home, ".aws");
        public string CredentialsPath => Path.Combine(AwsDirectory, "credentials");
        public string ConfigPath => Path.Combine(AwsDirectory, "config");
        public FakeEnvironment Environment { get; }

        public TempAwsHome(string credentials = "", string config = "")
        {
            Home = Path.Combine(Path.GetTempPath(), "bi-creds-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(AwsDirectory);
            File.WriteAllText(CredentialsPath, credentials);
            File.WriteAllText(ConfigPath, config);
            Environment = new FakeEnvironment().Set("HOME", Home).Set("AWS_EC2_METADATA_DISABLED", "true");
        }

        public string WriteFile(string relativePath, string content)
        {
            var path = Path.Combine(Home, relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
            return path;
        }

        public void Dispose()
        {
            try { Directory.Delete(Home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Sets process environment variables for the SDK parts that read the real environment; restores them on dispose.
    /// Only used in the non-parallel collection.</summary>
    internal sealed class ProcessEnvironmentScope : IDisposable
    {
        private readonly Dictionary<string, string> _previous = new();

        public ProcessEnvironmentScope Set(string name, string value)
        {
            if (!_previous.ContainsKey(name))
            {
                _previous[name] = System.Environment.GetEnvironmentVariable(name);
            }

            System.Environment.SetEnvironmentVariable(name, value);
            return this;
        }

        public void Dispose()
        {
            foreach (var (name, value) in _previous)
            {
                System.Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class ProcessEnvironmentCollection
    {
        public const string Name = "Process environment (not parallel)";
    }

    internal sealed record RecordedRequest(string Method, string PathAndQuery, Dictionary<string, string> Headers, string Body);

    /// <summary>A loopback HTTP server answering every request with the given handler.</summary>
    internal sealed class LoopbackServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Func<RecordedRequest, (int Status, string ContentType, string Body)> _respond;
        private readonly Task _loop;
        public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
        public string BaseUrl { get; }

        public LoopbackServer(Func<RecordedRequest, (int Status, string ContentType, string Body)> respond)
        {
            _respond = respond;
            var port = FreePort();
            BaseUrl = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(BaseUrl + "/");
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException || e is ObjectDisposedException || e is InvalidOperationException)
                {
                    return;
                }

                using var reader = new StreamReader(context.Request.InputStream);
                var body = await reader.ReadToEndAsync();
                var headers = context.Request.Headers.AllKeys.Where(k => k != null)
                    .ToDictionary(k => k!, k => context.Request.Headers[k] ?? "", StringComparer.OrdinalIgnoreCase);
                var request = new RecordedRequest(context.Request.HttpMethod, context.Request.Url!.PathAndQuery, headers, body);
                Requests.Enqueue(request);
                var (status, contentType, responseBody) = _respond(request);
                var bytes = System.Text.Encoding.UTF8.GetBytes(responseBody);
                context.Response.StatusCode = status;
                context.Response.ContentType = contentType;
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        }

        private static int FreePort()
        {
            var socket = new TcpListener(IPAddress.Loopback, 0);
            socket.Start();
            var port = ((IPEndPoint)socket.LocalEndpoint).Port;
            socket.Stop();
            return port;
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        }
    }
}

namespace Amazon.PowerShell.Common
{
    /// <summary>Same full name and shape as AWS.Tools' session credential wrapper: the credentials sit in a non-public property.</summary>
    public sealed class AWSPSCredentials
    {
        internal AWSPSCredentials(object credentials, string name)
        {
            Credentials = credentials;
            Name = name;
        }

        internal object Credentials { get; }
        internal string Name { get; }
        public override string ToString() => Name;
    }
}

namespace Foreign.Amazon.Runtime
{
    /// <summary>Stands in for an AWSCredentials from another AWSSDK.Core: same member names, unrelated type.</summary>
    public class ForeignImmutableCredentials
    {
        public string AccessKey { get; init; }
        public string SecretKey { get; init; }
        public string Token { get; init; }
        public bool UseToken => !string.IsNullOrEmpty(Token);
    }

    public class ForeignAWSCredentials
    {
        private readonly Func<int, ForeignImmutableCredentials> _issue;
        private int _calls;

        public ForeignAWSCredentials(Func<int, ForeignImmutableCredentials> issue) => _issue = issue;

        public int Calls => _calls;

        public ForeignImmutableCredentials GetCredentials() => _issue(Interlocked.Increment(ref _calls));

        public Task<ForeignImmutableCredentials> GetCredentialsAsync() => Task.FromResult(GetCredentials());
    }
}

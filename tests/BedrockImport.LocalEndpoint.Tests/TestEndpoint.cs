using System.Security.Cryptography;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Amazon.S3;
using BedrockImport.LocalEndpoint.Hosting;

namespace BedrockImport.LocalEndpoint.Tests;

/// <summary>An in-process endpoint on 127.0.0.1 with a temporary data directory.</summary>
internal sealed class TestEndpoint : IAsyncDisposable
{
    private readonly bool _ownsDirectory;

    static TestEndpoint()
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
    }

    private TestEndpoint(LocalEndpointServer server, string dataDirectory, bool ownsDirectory)
    {
        Server = server;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        Http = new HttpClient { BaseAddress = server.BaseUrl };
        // HTTP/2 with prior knowledge (h2c): what a client does with an http:// URL when told to speak HTTP/2 only.
        Http2 = new HttpClient
        {
            BaseAddress = server.Http2Url,
            DefaultRequestVersion = System.Net.HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    public LocalEndpointServer Server { get; }

    public string DataDirectory { get; }

    public HttpClient Http { get; }

    /// <summary>An HTTP/2-only client bound to <see cref="LocalEndpointServer.Http2Url"/>.</summary>
    public HttpClient Http2 { get; }

    public static string NewDataDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "bi-endpoint-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    public static async Task<TestEndpoint> StartAsync(Action<LocalEndpointOptions> configure = null, string dataDirectory = null)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= NewDataDirectory();
        var options = new LocalEndpointOptions { Port = 0, DataDirectory = dataDirectory };
        configure?.Invoke(options);
        try
        {
            var server = await LocalEndpointServer.StartAsync(options);
            return new TestEndpoint(server, dataDirectory, owns);
        }
        catch when (owns)
        {
            Directory.Delete(dataDirectory, recursive: true);
            throw;
        }
    }

    public AmazonS3Client S3(Action<AmazonS3Config> configure = null, string secretKey = null, string accessKey = null)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = Server.BaseUrl.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = Server.Region,
        };
        configure?.Invoke(config);
        return new AmazonS3Client(new BasicAWSCredentials(accessKey ?? Server.AccessKeyId, secretKey ?? Server.SecretAccessKey), config);
    }

    /// <summary>Sends a request signed by AWSSDK.Core's public SigV4 signer (independent of the endpoint's verifier).</summary>
    public async Task<HttpResponseMessage> SendSignedAsync(HttpMethod method, string pathAndQuery, byte[] body = null,
        IDictionary<string, string> headers = null, string service = "s3", string secretKey = null, DateTime? signedAt = null,
        IDictionary<string, string> unsignedHeaders = null, string region = null, bool http2 = false,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var client = http2 ? Http2 : Http;
        var uri = new Uri(client.BaseAddress!, pathAndQuery);
        var signedHeaders = new Dictionary<string, string>(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        // With a precomputed x-amz-content-sha256 (aws-chunked bodies) the signer must not see the encoded body.
        var precomputed = signedHeaders.ContainsKey("x-amz-content-sha256");
        var signing = new AWSSigningRequest { HttpMethod = method, RequestUri = uri, Content = precomputed ? null : body };
        foreach (var (name, value) in signedHeaders)
            signing.Headers[name] = value;
        var result = AWSSigV4Signer.Sign(signing, new AWSSigV4Parameters
        {
            Credentials = new BasicAWSCredentials(Server.AccessKeyId, secretKey ?? Server.SecretAccessKey),
            Region = RegionEndpoint.GetBySystemName(region ?? Server.Region),
            Service = service,
            SignedAt = signedAt,
        });
        var message = new HttpRequestMessage(method, uri) { Version = client.DefaultRequestVersion, VersionPolicy = client.DefaultVersionPolicy };
        if (body is not null)
            message.Content = new ByteArrayContent(body);
        foreach (var (name, value) in result.Headers)
            signedHeaders[name] = value;
        foreach (var (name, value) in unsignedHeaders ?? new Dictionary<string, string>())
            signedHeaders[name] = value;
        foreach (var (name, value) in signedHeaders)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content ??= new ByteArrayContent(Array.Empty<byte>());
                message.Content.Headers.Remove(name);
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        return await client.SendAsync(message, completion);
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256(byte[] data) => Convert.ToHexString(SHA256.HashData(data));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Http2.Dispose();
        await Server.DisposeAsync();
        if (_ownsDirectory)
        {
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
        }
    }
}

/// <summary>A fake REST-JSON service ("testsvc") to observe JSON-style auth errors and faults without Bedrock.</summary>
internal sealed class EchoJsonService : IServiceHandler
{
    public string SigningService => "testsvc";

    public string ResolveOperation(Microsoft.AspNetCore.Http.HttpContext context) => "Echo";

    public async Task HandleAsync(Microsoft.AspNetCore.Http.HttpContext context, BedrockImport.LocalEndpoint.Auth.VerifiedRequest request)
    {
        context.Response.ContentType = "application/json";
        await Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(context.Response,
            "{\"operation\":\"" + request.Operation + "\",\"path\":\"" + context.Request.Path + "\"}");
    }
}

/// <summary>Wraps a registered handler and records how each request's payload was signed.</summary>
internal sealed class RecordingHandler : IServiceHandler
{
    private readonly IServiceHandler _inner;

    public RecordingHandler(IServiceHandler inner) => _inner = inner;

    public System.Collections.Concurrent.ConcurrentBag<(string Operation, string PayloadHash, string Trailer)> Seen { get; } = new();

    public string SigningService => _inner.SigningService;

    public bool SingleEncodedCanonicalUri => _inner.SingleEncodedCanonicalUri;

    public ErrorStyle ErrorStyle => _inner.ErrorStyle;

    public string ResolveOperation(Microsoft.AspNetCore.Http.HttpContext context) => _inner.ResolveOperation(context);

    public Task HandleAsync(Microsoft.AspNetCore.Http.HttpContext context, BedrockImport.LocalEndpoint.Auth.VerifiedRequest request)
    {
        Seen.Add((request.Operation, request.PayloadHash, context.Request.Headers["x-amz-trailer"].ToString()));
        return _inner.HandleAsync(context, request);
    }
}

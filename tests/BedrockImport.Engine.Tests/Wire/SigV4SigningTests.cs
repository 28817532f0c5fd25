using System.Net;
using System.Net.Sockets;
using System.Text;
using BedrockImport.Engine.Bedrock;

namespace BedrockImport.Engine.Tests.Wire;

public class SigV4SigningTests
{
    private const string JobJson = "{\"jobArn\":\"arn:aws:bedrock:us-east-1:111122223333:model-import-job/abcdefabcdef\",\"status\":\"InProgress\"}";

    [Fact]
    public async Task GetWithArnLabel_IsSignedForBedrockWithDoubleEncodedCanonicalUri()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.OK, JobJson));
        using var client = Kit.Control(handler);

        await client.GetModelImportJobAsync("arn:aws:bedrock:us-east-1:111122223333:model-import-job/abcdefabcdef", CancellationToken.None);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("/model-import-jobs/arn%3Aaws%3Abedrock%3Aus-east-1%3A111122223333%3Amodel-import-job%2Fabcdefabcdef", request.Uri.AbsolutePath);
        var result = SigV4Verifier.Verify(request, Kit.SecretKey);
        Assert.True(result.Valid, result.CanonicalRequest);
        Assert.Contains("/model-import-jobs/arn%253Aaws%253Abedrock", result.CanonicalRequest);
        Assert.Matches(@"^\d{8}/us-east-1/bedrock/aws4_request$", result.Scope);
        Assert.Contains("host", result.SignedHeaders);
        Assert.Contains("x-amz-date", result.SignedHeaders);
        Assert.DoesNotContain("x-amz-security-token", result.SignedHeaders);
        Assert.Null(request.Header("X-Amz-Security-Token"));
        Assert.False(request.HasContent && request.Body.Length > 0);
        Assert.Null(request.Header("Content-Type"));
    }

    [Fact]
    public async Task PostWithSessionCredentials_CarriesSignedSecurityTokenAndPayloadHash()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.Created, "{\"jobArn\":\"arn:aws:bedrock:us-east-1:111122223333:model-import-job/abcdefabcdef\"}"));
        using var client = Kit.Control(handler, session: Kit.Session(sessionToken: true));

        await client.CreateModelImportJobAsync(new CreateModelImportJobRequest
        {
            JobName = "job-1",
            ImportedModelName = "model-1",
            RoleArn = "arn:aws:iam::111122223333:role/Import",
            ModelDataSource = new ModelDataSource { S3DataSource = new S3DataSource { S3Uri = "s3://bucket/prefix/" } },
        }, CancellationToken.None);

        var request = Assert.Single(handler.Requests);
        Assert.Equal(Kit.SessionToken, request.Header("X-Amz-Security-Token"));
        var result = SigV4Verifier.Verify(request, Kit.SecretKey);
        Assert.True(result.Valid, result.CanonicalRequest);
        Assert.Contains("x-amz-security-token", result.SignedHeaders);
        Assert.Contains("content-type", result.SignedHeaders);
        Assert.NotEmpty(request.Body);
    }

    [Fact]
    public async Task QueryStringWithTimestampsAndToken_IsSignedCanonically()
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Json(HttpStatusCode.OK, "{\"nextToken\":\"tok/en+==\",\"modelSummaries\":[]}"),
            () => FakeHandler.Json(HttpStatusCode.OK, "{\"modelSummaries\":[]}"));
        using var client = Kit.Control(handler);

        await client.ListImportedModelsAsync(new ListImportedModelsRequest
        {
            CreationTimeAfter = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            NameContains = "my model",
            SortOrder = "Descending",
        }, CancellationToken.None);

        Assert.Equal(2, handler.Requests.Count);
        foreach (var request in handler.Requests)
        {
            var result = SigV4Verifier.Verify(request, Kit.SecretKey);
            Assert.True(result.Valid, result.CanonicalRequest);
        }

        Assert.Contains("nextToken=tok%2Fen%2B%3D%3D", handler.Requests[1].Uri.Query);
    }

    [Fact]
    public async Task RuntimeInvoke_UsesRuntimeHostButSigningNameBedrock()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.OK, "{\"generation\":\"hi\"}"));
        using var client = Kit.Runtime(handler, session: Kit.Session(endpoint: null, sessionToken: true, region: "eu-west-3"));

        await client.InvokeModelAsync(new InvokeModelRequest { ModelId = Kit.ModelArn, Body = Encoding.UTF8.GetBytes("{\"prompt\":\"x\"}") }, CancellationToken.None);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("bedrock-runtime.eu-west-3.amazonaws.com", request.Uri.Host);
        var result = SigV4Verifier.Verify(request, Kit.SecretKey);
        Assert.True(result.Valid, result.CanonicalRequest);
        Assert.EndsWith("/eu-west-3/bedrock/aws4_request", result.Scope);
    }

    [Fact]
    public async Task Verifier_RejectsSignatureComputedWithAnotherSecret()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(HttpStatusCode.OK, JobJson));
        using var client = Kit.Control(handler);

        await client.GetModelImportJobAsync("job-1", CancellationToken.None);

        Assert.False(SigV4Verifier.Verify(Assert.Single(handler.Requests), "not-the-secret").Valid);
    }

    [Fact]
    public async Task ArnInPath_StaysPercentEncodedOnTheWire()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serverTask = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            using var stream = socket.GetStream();
            var head = new StringBuilder();
            var buffer = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n") && await stream.ReadAsync(buffer) == 1)
            {
                head.Append((char)buffer[0]);
            }

            var lengthLine = head.ToString().Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            var remaining = lengthLine == null ? 0 : int.Parse(lengthLine.Split(':')[1].Trim());
            var body = new byte[remaining];
            var offset = 0;
            while (offset < remaining)
            {
                offset += await stream.ReadAsync(body.AsMemory(offset));
            }

            var answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
            await stream.WriteAsync(answer);
            return head.ToString();
        });

        using var client = new BedrockRuntimeClient(Kit.Session(endpoint: $"http://127.0.0.1:{port}/"), Kit.FastOptions());
        await client.InvokeModelAsync(new InvokeModelRequest { ModelId = Kit.ModelArn, Body = Encoding.UTF8.GetBytes("{}") }, CancellationToken.None);

        var requestLine = (await serverTask).Split("\r\n")[0];
        Assert.Equal($"POST /model/{Kit.EncodedModelArn}/invoke HTTP/1.1", requestLine);
    }
}

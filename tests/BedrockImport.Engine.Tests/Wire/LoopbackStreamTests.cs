using System.Net;
using System.Net.Sockets;
using System.Text;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.EventStream;

namespace BedrockImport.Engine.Tests.Wire;

/// <summary>Real HttpClientHandler against a loopback HttpListener that sends the event stream chunked.</summary>
public class LoopbackStreamTests
{
    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task ChunksArriveAsTheServerWritesThem_NotAfterTheBodyEnds()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var firstChunkSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string rawPath = null;
        string authorization = null;
        var server = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            rawPath = context.Request.RawUrl;
            authorization = context.Request.Headers["Authorization"];
            context.Response.StatusCode = 200;
            context.Response.ContentType = EventStreamFormat.ContentType;
            context.Response.SendChunked = true;
            var output = context.Response.OutputStream;
            var first = Kit.ChunkFrame("{\"generation\":\"first\"}");
            // Split the first frame across two writes so the client must reassemble it.
            await output.WriteAsync(first.AsMemory(0, 10));
            await output.FlushAsync();
            await output.WriteAsync(first.AsMemory(10));
            await output.FlushAsync();
            // The second frame is only written once the client has yielded the first one.
            await firstChunkSeen.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await output.WriteAsync(Kit.ChunkFrame("{\"generation\":\"second\"}"));
            context.Response.Close();
        });

        using var client = new BedrockRuntimeClient(Kit.Session(endpoint: $"http://127.0.0.1:{port}/"), Kit.FastOptions());
        var texts = new List<string>();
        var reading = Task.Run(async () =>
        {
            await foreach (var chunk in client.InvokeModelWithResponseStreamAsync(new InvokeModelRequest { ModelId = Kit.ModelArn, Body = Encoding.UTF8.GetBytes("{}") }, CancellationToken.None))
            {
                texts.Add(Encoding.UTF8.GetString(chunk.Bytes));
                firstChunkSeen.TrySetResult();
            }
        });

        await Task.WhenAll(server, reading).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(new[] { "{\"generation\":\"first\"}", "{\"generation\":\"second\"}" }, texts);
        Assert.Equal($"/model/{Kit.EncodedModelArn}/invoke-with-response-stream", rawPath);
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", authorization);
    }
}

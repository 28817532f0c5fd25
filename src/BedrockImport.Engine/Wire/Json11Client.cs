using System.Text.Json;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Json;

namespace BedrockImport.Engine.Wire;

/// <summary>Base of an AWS JSON 1.1 service client (Service Quotas): every operation is POST / with
/// X-Amz-Target: &lt;target prefix&gt;.&lt;operation&gt;, its input as the body with members named as the model names them
/// (PascalCase), errors named by "__type".</summary>
public abstract class Json11Client : AwsServiceClient
{
    private const string ContentType = "application/x-amz-json-1.1";

    private protected Json11Client(AwsSession session, AwsService service, RetryPolicy retry, IEngineLog? log, HttpMessageHandler? innerHandler)
        : base(session, service, retry, log, innerHandler)
    {
        if (service.Protocol != AwsProtocol.Json11)
        {
            throw new ArgumentException($"{service.DisplayName} does not speak JSON 1.1.", nameof(service));
        }
    }

    /// <param name="input">The operation's input shape; an operation without input sends {}.</param>
    private protected Task<T> SendAsync<T>(string operation, object? input, CancellationToken cancellationToken)
    {
        var uri = AwsWire.BuildUri(Endpoint, "/");
        var body = input == null ? new byte[] { (byte)'{', (byte)'}' } : JsonSerializer.SerializeToUtf8Bytes(input, input.GetType(), EngineJson.AwsJsonOptions);
        var target = Service.TargetPrefix + "." + operation;
        return SendJsonAsync<T>(operation, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
            request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            return request;
        }, EngineJson.AwsJsonOptions, cancellationToken);
    }

    /// <summary>Follows every page: inputForToken gives the input of the page after token (null for the first).</summary>
    private protected Task<IReadOnlyList<TItem>> ListAllAsync<TPage, TItem>(string operation, Func<string?, object> inputForToken,
        Func<TPage, IEnumerable<TItem>?> items, Func<TPage, string?> nextToken, CancellationToken cancellationToken)
        => ListAllAsync(operation, (token, cancel) => SendAsync<TPage>(operation, inputForToken(token), cancel), items, nextToken, cancellationToken);
}

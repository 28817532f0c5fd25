using System.Text.Json;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;

namespace BedrockImport.Engine.Wire;

/// <summary>Base of every AWS client written on our signed HttpClient: the service's catalogue record, the one retry
/// policy, one Verbose line per call (not per attempt), JSON answers read strictly, and the paging loop. The protocol
/// bases (RestJsonClient, Json11Client) say how a request is laid out; a service client only lists its operations.</summary>
public abstract class AwsServiceClient : IDisposable
{
    private protected AwsServiceClient(AwsSession session, AwsService service, RetryPolicy retry, IEngineLog? log, HttpMessageHandler? innerHandler)
    {
        Retry = retry ?? throw new ArgumentNullException(nameof(retry));
        Http = new AwsHttpClient(session, service, retry.Options, log ?? NullEngineLog.Instance, innerHandler);
    }

    /// <summary>The resolved endpoint of this service.</summary>
    public Uri Endpoint => Http.Endpoint;

    public AwsService Service => Http.Service;

    private protected AwsHttpClient Http { get; }

    private protected RetryPolicy Retry { get; }

    /// <summary>Runs one operation under the retry policy. Each attempt builds its request anew; readResponse owns the
    /// (2xx) response it is given and turns it into the result, still inside the attempt, so a failure while reading is
    /// retried like a failure while sending.</summary>
    private protected async Task<T> SendAsync<T>(string operation, Func<HttpRequestMessage> createRequest, HttpCompletionOption completion,
        Func<HttpResponseMessage, CancellationToken, Task<T>> readResponse, CancellationToken cancellationToken)
    {
        Http.LogOperation(operation);
        return await Retry.ExecuteAsync(operation, async token =>
        {
            using var request = createRequest();
            var response = await Http.SendAsync(request, completion, token).ConfigureAwait(false);
            return await readResponse(response, token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SendAsync for an operation that answers a JSON document (or nothing, for T = NoContent).</summary>
    private protected Task<T> SendJsonAsync<T>(string operation, Func<HttpRequestMessage> createRequest, JsonSerializerOptions options,
        CancellationToken cancellationToken)
        => SendAsync(operation, createRequest, HttpCompletionOption.ResponseContentRead, async (response, token) =>
        {
            using (response)
            {
                var bytes = await AwsErrors.ReadBodyAsync(response.Content, int.MaxValue, token).ConfigureAwait(false);
                return Deserialize<T>(operation, bytes, (int)response.StatusCode, AwsErrors.RequestId(response), options);
            }
        }, cancellationToken);

    /// <summary>Calls fetchPage with each nextToken the service hands back until it hands back none, collecting every
    /// page's items. The same token twice is an error, never an endless listing.</summary>
    private protected static async Task<IReadOnlyList<TItem>> ListAllAsync<TPage, TItem>(string operation,
        Func<string?, CancellationToken, Task<TPage>> fetchPage, Func<TPage, IEnumerable<TItem>?> items, Func<TPage, string?> nextToken,
        CancellationToken cancellationToken)
    {
        var all = new List<TItem>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? token = null;
        do
        {
            var page = await fetchPage(token, cancellationToken).ConfigureAwait(false);
            all.AddRange(items(page) ?? Array.Empty<TItem>());
            token = nextToken(page);
            if (string.IsNullOrEmpty(token))
            {
                token = null;
            }
            else if (!seen.Add(token!))
            {
                throw new UnexpectedResponseException($"{operation} returned the same nextToken twice; stopping to avoid an endless listing.", 200, null);
            }
        }
        while (token != null);

        return all;
    }

    private static T Deserialize<T>(string operation, byte[] bytes, int statusCode, string? requestId, JsonSerializerOptions options)
    {
        if (typeof(T) == typeof(NoContent))
        {
            return default!;
        }

        try
        {
            var value = bytes.Length == 0 ? default : JsonSerializer.Deserialize<T>(bytes, options);
            if (value == null)
            {
                throw new UnexpectedResponseException($"{operation} answered HTTP {statusCode} with an empty body where a JSON object was expected.", statusCode, requestId);
            }

            return value;
        }
        catch (JsonException error)
        {
            throw new UnexpectedResponseException(
                $"{operation} answered HTTP {statusCode} with a body that is not valid JSON for this operation ({bytes.Length} bytes): {error.Message}",
                statusCode, requestId, error);
        }
    }

    public void Dispose() => Http.Dispose();

    /// <summary>The result type of an operation whose answer has no body worth reading.</summary>
    private protected sealed class NoContent
    {
    }
}

using System.Globalization;
using System.Text.Json;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Json;

namespace BedrockImport.Engine.Wire;

/// <summary>Base of a rest-json service client (Bedrock, Bedrock Runtime): the operation is the method and the path,
/// members travel as URI labels, query strings and a camelCase JSON body.</summary>
public abstract class RestJsonClient : AwsServiceClient
{
    private protected RestJsonClient(AwsSession session, AwsService service, RetryPolicy retry, IEngineLog? log, HttpMessageHandler? innerHandler)
        : base(session, service, retry, log, innerHandler)
    {
        if (service.Protocol != AwsProtocol.RestJson)
        {
            throw new ArgumentException($"{service.DisplayName} does not speak rest-json.", nameof(service));
        }
    }

    /// <summary>One call whose answer is a JSON document.</summary>
    /// <param name="encodedPath">The path with its labels already encoded (see Label).</param>
    private protected Task<T> SendAsync<T>(string operation, HttpMethod method, string encodedPath, Query? query, object? body,
        CancellationToken cancellationToken)
    {
        var uri = OperationUri(encodedPath, query);
        var bytes = body == null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), EngineJson.Options);
        return SendJsonAsync<T>(operation, () => CreateRequest(method, uri, bytes, "application/json"), EngineJson.Options, cancellationToken);
    }

    /// <summary>Follows every page of a GET listing: its query with nextToken added for each page after the first.</summary>
    private protected Task<IReadOnlyList<TItem>> ListAllAsync<TPage, TItem>(string operation, string encodedPath, Query query,
        Func<TPage, IEnumerable<TItem>?> items, Func<TPage, string?> nextToken, CancellationToken cancellationToken)
        => ListAllAsync(operation,
            (token, cancel) => SendAsync<TPage>(operation, HttpMethod.Get, encodedPath, query.With("nextToken", token), null, cancel),
            items, nextToken, cancellationToken);

    private protected Uri OperationUri(string encodedPath, Query? query = null) => AwsWire.BuildUri(Endpoint, encodedPath, query?.Pairs);

    /// <summary>A request with the service's API version header and, when body is not null, that body.</summary>
    private protected HttpRequestMessage CreateRequest(HttpMethod method, Uri uri, byte[]? body, string contentType)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.TryAddWithoutValidation("X-Amz-Api-Version", Service.ApiVersion);
        if (body != null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return request;
    }

    /// <summary>A URI label: required, and percent-encoded whole (':' and '/' too), as the SDKs encode ARNs in paths.</summary>
    private protected static string Label(string value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException("An identifier is required.", name);
        }

        return AwsWire.Encode(value);
    }

    /// <summary>Query-string members; unset values are left out, timestamps go as ISO 8601 UTC.</summary>
    private protected sealed class Query
    {
        private readonly List<KeyValuePair<string, string>> _pairs = new List<KeyValuePair<string, string>>();

        public IReadOnlyList<KeyValuePair<string, string>> Pairs => _pairs;

        public Query Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                _pairs.Add(new KeyValuePair<string, string>(name, value!));
            }

            return this;
        }

        public Query Add(string name, int? value) => Add(name, value?.ToString(CultureInfo.InvariantCulture));

        public Query Add(string name, DateTime? value) => Add(name, value == null ? null : AwsWire.FormatTimestamp(value.Value));

        /// <summary>A copy with one more member.</summary>
        public Query With(string name, string? value)
        {
            var copy = new Query();
            copy._pairs.AddRange(_pairs);
            return copy.Add(name, value);
        }
    }
}

using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Json;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Bedrock
{
    /// <summary>Bedrock control plane (host bedrock.&lt;region&gt;, signing name bedrock), the six import operations.</summary>
    public sealed class BedrockControlClient : IDisposable
    {
        private const string ApiVersion = "2023-04-20";

        private readonly AwsHttpClient _http;
        private readonly RetryPolicy _retry;

        public BedrockControlClient(AwsSession session, RetryOptions? retry = null, IEngineLog? log = null)
            : this(session, new RetryPolicy(retry, log), log, null)
        {
        }

        /// <param name="innerHandler">Transport under the SigV4 signer (tests pass a fake); null for the real one.</param>
        internal BedrockControlClient(AwsSession session, RetryPolicy retry, IEngineLog? log, HttpMessageHandler? innerHandler)
        {
            _retry = retry;
            _http = new AwsHttpClient(session, AwsService.Bedrock, "Amazon Bedrock", retry.Options, log ?? NullEngineLog.Instance, innerHandler);
        }

        /// <summary>The resolved control-plane endpoint.</summary>
        public Uri Endpoint => _http.Endpoint;

        /// <summary>A missing ClientRequestToken is filled with a new GUID (once, so retries are idempotent).</summary>
        /// <returns>The new job's ARN.</returns>
        public async Task<string> CreateModelImportJobAsync(CreateModelImportJobRequest request, CancellationToken cancellationToken)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }

            var wire = new CreateModelImportJobRequest
            {
                JobName = request.JobName,
                ImportedModelName = request.ImportedModelName,
                RoleArn = request.RoleArn,
                ModelDataSource = request.ModelDataSource,
                JobTags = request.JobTags,
                ImportedModelTags = request.ImportedModelTags,
                ClientRequestToken = string.IsNullOrEmpty(request.ClientRequestToken) ? Guid.NewGuid().ToString() : request.ClientRequestToken,
                VpcConfig = request.VpcConfig,
                ImportedModelKmsKeyId = request.ImportedModelKmsKeyId,
            };
            var body = JsonSerializer.SerializeToUtf8Bytes(wire, EngineJson.Options);
            var response = await SendAsync<CreateModelImportJobResponse>("CreateModelImportJob", HttpMethod.Post, "/model-import-jobs", null, body, cancellationToken)
                .ConfigureAwait(false);
            if (string.IsNullOrEmpty(response.JobArn))
            {
                throw new UnexpectedResponseException("CreateModelImportJob answered without a jobArn.", 201, null);
            }

            return response.JobArn!;
        }

        /// <param name="jobIdentifier">Job ARN or job name.</param>
        public Task<ModelImportJob> GetModelImportJobAsync(string jobIdentifier, CancellationToken cancellationToken)
            => SendAsync<ModelImportJob>("GetModelImportJob", HttpMethod.Get, "/model-import-jobs/" + Label(jobIdentifier, nameof(jobIdentifier)), null, null, cancellationToken);

        /// <summary>Follows every page.</summary>
        public async Task<IReadOnlyList<ModelImportJob>> ListModelImportJobsAsync(ListModelImportJobsRequest request, CancellationToken cancellationToken)
        {
            request ??= new ListModelImportJobsRequest();
            var query = new List<KeyValuePair<string, string>>();
            AddTimestamp(query, "creationTimeAfter", request.CreationTimeAfter);
            AddTimestamp(query, "creationTimeBefore", request.CreationTimeBefore);
            Add(query, "statusEquals", request.StatusEquals);
            Add(query, "nameContains", request.NameContains);
            Add(query, "maxResults", request.MaxResults?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add(query, "sortBy", request.SortBy);
            Add(query, "sortOrder", request.SortOrder);

            var all = new List<ModelImportJob>();
            await FollowPagesAsync<ListModelImportJobsResponse>("ListModelImportJobs", "/model-import-jobs", query,
                page => all.AddRange(page.ModelImportJobSummaries ?? new List<ModelImportJob>()), page => page.NextToken, cancellationToken).ConfigureAwait(false);
            return all;
        }

        /// <param name="modelIdentifier">Model ARN or model name.</param>
        public Task<ImportedModel> GetImportedModelAsync(string modelIdentifier, CancellationToken cancellationToken)
            => SendAsync<ImportedModel>("GetImportedModel", HttpMethod.Get, "/imported-models/" + Label(modelIdentifier, nameof(modelIdentifier)), null, null, cancellationToken);

        public async Task<IReadOnlyList<ImportedModel>> ListImportedModelsAsync(ListImportedModelsRequest request, CancellationToken cancellationToken)
        {
            request ??= new ListImportedModelsRequest();
            var query = new List<KeyValuePair<string, string>>();
            AddTimestamp(query, "creationTimeAfter", request.CreationTimeAfter);
            AddTimestamp(query, "creationTimeBefore", request.CreationTimeBefore);
            Add(query, "nameContains", request.NameContains);
            Add(query, "maxResults", request.MaxResults?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add(query, "sortBy", request.SortBy);
            Add(query, "sortOrder", request.SortOrder);

            var all = new List<ImportedModel>();
            await FollowPagesAsync<ListImportedModelsResponse>("ListImportedModels", "/imported-models", query,
                page => all.AddRange(page.ModelSummaries ?? new List<ImportedModel>()), page => page.NextToken, cancellationToken).ConfigureAwait(false);
            return all;
        }

        public Task DeleteImportedModelAsync(string modelIdentifier, CancellationToken cancellationToken)
            => SendAsync<NoContent>("DeleteImportedModel", HttpMethod.Delete, "/imported-models/" + Label(modelIdentifier, nameof(modelIdentifier)), null, null, cancellationToken);

        public void Dispose() => _http.Dispose();

        private async Task FollowPagesAsync<TPage>(string operation, string path, List<KeyValuePair<string, string>> query,
            Action<TPage> collect, Func<TPage, string?> nextToken, CancellationToken cancellationToken)
        {
            string? token = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            do
            {
                var pageQuery = new List<KeyValuePair<string, string>>(query);
                if (token != null)
                {
                    pageQuery.Add(new KeyValuePair<string, string>("nextToken", token));
                }

                var page = await SendAsync<TPage>(operation, HttpMethod.Get, path, pageQuery, null, cancellationToken).ConfigureAwait(false);
                collect(page);
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
        }

        private async Task<T> SendAsync<T>(string operation, HttpMethod method, string encodedPath, List<KeyValuePair<string, string>>? query,
            byte[]? body, CancellationToken cancellationToken)
        {
            _http.LogOperation(operation);
            var uri = AwsWire.BuildUri(_http.Endpoint, encodedPath, query);
            return await _retry.ExecuteAsync(operation, async token =>
            {
                using var request = new HttpRequestMessage(method, uri);
                request.Headers.TryAddWithoutValidation("X-Amz-Api-Version", ApiVersion);
                if (body != null)
                {
                    request.Content = new ByteArrayContent(body);
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
                }

                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
                var bytes = await AwsErrors.ReadBodyAsync(response.Content, int.MaxValue, token).ConfigureAwait(false);
                return Deserialize<T>(operation, bytes, (int)response.StatusCode, AwsErrors.RequestId(response));
            }, cancellationToken).ConfigureAwait(false);
        }

        private static T Deserialize<T>(string operation, byte[] bytes, int statusCode, string? requestId)
        {
            if (typeof(T) == typeof(NoContent))
            {
                return default!;
            }

            try
            {
                var value = bytes.Length == 0 ? default : JsonSerializer.Deserialize<T>(bytes, EngineJson.Options);
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

        private static string Label(string value, string name)
        {
            if (string.IsNullOrEmpty(value))
            {
                throw new ArgumentException("An identifier is required.", name);
            }

            return AwsWire.Encode(value);
        }

        private static void Add(List<KeyValuePair<string, string>> query, string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                query.Add(new KeyValuePair<string, string>(name, value!));
            }
        }

        private static void AddTimestamp(List<KeyValuePair<string, string>> query, string name, DateTime? value)
        {
            if (value != null)
            {
                query.Add(new KeyValuePair<string, string>(name, AwsWire.FormatTimestamp(value.Value)));
            }
        }

        private sealed class NoContent
        {
        }

        private sealed class CreateModelImportJobResponse
        {
            public string? JobArn { get; set; }
        }

        private sealed class ListModelImportJobsResponse
        {
            public string? NextToken { get; set; }
            public List<ModelImportJob>? ModelImportJobSummaries { get; set; }
        }

        private sealed class ListImportedModelsResponse
        {
            public string? NextToken { get; set; }
            public List<ImportedModel>? ModelSummaries { get; set; }
        }
    }
}

using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;

namespace BedrockImport.Engine.Wire;

/// <summary>The one place that builds the signed HttpClient: SigV4SigningHandler (AWSSDK.Core) over an inner handler,
/// the service's signing name from the catalogue, region from the session; or, for a service that accepts bearer auth
/// when the session holds a bearer token, "Authorization: Bearer" and no signature.
/// Non-2xx answers become typed AwsServiceExceptions.</summary>
internal sealed class AwsHttpClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly IEngineLog _log;

    /// <param name="innerHandler">The transport under the signer; null for a real HttpClientHandler. Tests pass a fake.</param>
    public AwsHttpClient(AwsSession session, AwsService service, RetryOptions options, IEngineLog log, HttpMessageHandler? innerHandler = null)
    {
        Session = session ?? throw new ArgumentNullException(nameof(session));
        Service = service ?? throw new ArgumentNullException(nameof(service));
        Endpoint = session.ResolveEndpoint(service);
        _log = log;
        // A redirect would carry a signature (or the bearer token) to another URL.
        var transport = innerHandler ?? new HttpClientHandler { AllowAutoRedirect = false };
        var bearerToken = session.BearerTokenFor(service);
        HttpMessageHandler authorizer;
        if (bearerToken != null)
        {
            // As botocore ≥ 1.39: a service whose metadata lists smithy.api#httpBearerAuth gets the token, no SigV4.
            _log.Debug($"{service.DisplayName} requests are authorized with a bearer token (Bedrock API key) from {session.BearerTokenSource}, not SigV4");
            authorizer = new BearerTokenHandler(bearerToken, transport);
        }
        else
        {
            authorizer = new Amazon.Runtime.Signing.SigV4SigningHandler(
                session.Credentials,
                Amazon.RegionEndpoint.GetBySystemName(session.Region),
                service.SigningName,
                transport);
        }

        _http = new HttpClient(authorizer, disposeHandler: true) { Timeout = options.RequestTimeout };
    }

    public AwsSession Session { get; }
    public AwsService Service { get; }
    public Uri Endpoint { get; }
    private string ServiceDisplayName => Service.DisplayName;

    /// <summary>One Verbose line per API call (not per attempt).</summary>
    public void LogOperation(string operation)
        => _log.Verbose($"Invoking {ServiceDisplayName} operation '{operation}' in region '{Session.Region}' on endpoint '{DisplayEndpoint}'");

    /// <summary>The endpoint without any user-info part, for messages.</summary>
    public string DisplayEndpoint => Endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    /// <summary>Sends one attempt. A non-2xx answer is read and thrown as the typed exception for its error code;
    /// an HttpClient timeout becomes TimeoutException (retryable), caller cancellation stays OperationCanceledException.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception signing) when (signing is Amazon.Runtime.AmazonClientException || signing is Amazon.Runtime.AmazonServiceException)
        {
            // Only the signer (credential refresh: assume-role, SSO, process) throws SDK exceptions here; keep SDK types out of the API.
            throw new CredentialResolutionException(CredentialProblem.NoCredentials,
                $"Could not obtain AWS credentials ({Session.CredentialSource}) to sign the {ServiceDisplayName} request: {signing.Message}", signing);
        }
        catch (OperationCanceledException timeout) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"The {ServiceDisplayName} request {request.Method} {request.RequestUri?.AbsolutePath} did not complete within {RetryPolicy.FormatDuration(_http.Timeout)}.",
                timeout);
        }

        if ((int)response.StatusCode >= 200 && (int)response.StatusCode < 300)
        {
            return response;
        }

        using (response)
        {
            throw await AwsErrors.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Sets "Authorization: Bearer &lt;token&gt;" (RFC 6750 §2.1) on every attempt, replacing any other authorization.</summary>
internal sealed class BearerTokenHandler : DelegatingHandler
{
    private readonly string _token;

    public BearerTokenHandler(string token, HttpMessageHandler inner) : base(inner) => _token = token;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Remove("Authorization");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _token);
        return base.SendAsync(request, cancellationToken);
    }
}

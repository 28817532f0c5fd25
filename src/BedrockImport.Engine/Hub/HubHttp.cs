using System.Net;
using System.Net.Http.Headers;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Hub;

/// <summary>The HTTP layer of HubClient: follows redirects itself, sends the token only to the Hub's own host (a redirect to
/// another host, the CDN, goes without the Authorization header), and runs every call through the one RetryPolicy (408, 429
/// and 5xx retried, honouring Retry-After). Answers are read by the caller's delegate inside the attempt.</summary>
internal sealed class HubHttp : IDisposable
{
    private static readonly string UserAgent = "BedrockImport/" + typeof(HubHttp).Assembly.GetName().Version?.ToString(3);

    private readonly HttpClient _http;
    private readonly RetryPolicy _retry;
    private readonly IEngineLog _log;
    private readonly HubErrorMapper _errors;
    private readonly string? _token;
    private readonly string _tokenSource;
    private readonly int _maxRedirects;

    /// <param name="handler">The transport; null for an HttpClientHandler that does not follow redirects itself.</param>
    public HubHttp(Uri endpoint, string? token, string tokenSource, RetryPolicy retry, int maxRedirects, HttpMessageHandler? handler, IEngineLog log)
    {
        Endpoint = endpoint;
        _token = token;
        _tokenSource = tokenSource;
        _retry = retry;
        _maxRedirects = maxRedirects;
        _log = log;
        _errors = new HubErrorMapper(endpoint, token, tokenSource, retry.Options.MaxDelay);
        _http = new HttpClient(handler ?? new HttpClientHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None }, disposeHandler: true)
        {
            Timeout = _retry.Options.RequestTimeout,
        };
    }

    /// <summary>The Hub (always ends with '/').</summary>
    public Uri Endpoint { get; }

    public bool HasToken => _token != null;

    /// <summary>One Hub call: one Verbose line, then attempts through the retry policy. The read runs inside the attempt;
    /// the response is disposed after it unless the read returned a HubRangeStream, which owns it.</summary>
    /// <param name="followCrossHostRedirects">False: a redirect to another host is the answer (HEAD on /resolve reports where the bytes are).</param>
    public async Task<T> CallAsync<T>(string operation, HttpMethod method, Uri url, RangeHeaderValue? range, HubErrorContext context, bool followCrossHostRedirects,
        Func<HttpResponseMessage, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        _log.Verbose($"Hugging Face Hub {operation}: {method} {url.GetComponents(UriComponents.SchemeAndServer | UriComponents.PathAndQuery, UriFormat.UriEscaped)} (token: {_tokenSource})");
        try
        {
            return await _retry.ExecuteAsync("Hugging Face Hub " + operation, async token =>
            {
                var response = await SendFollowingRedirectsAsync(method, url, range, followCrossHostRedirects, token).ConfigureAwait(false);
                var keep = false;
                try
                {
                    var status = (int)response.StatusCode;
                    var success = (status >= 200 && status < 300) || (!followCrossHostRedirects && IsRedirect(response.StatusCode));
                    if (!success)
                    {
                        // The retry policy reads the status and Retry-After of the HubException itself.
                        throw await _errors.MapAsync(operation, response, context, token).ConfigureAwait(false);
                    }

                    var result = await read(response, token).ConfigureAwait(false);
                    keep = result is HubRangeStream;
                    return result;
                }
                finally
                {
                    if (!keep)
                    {
                        response.Dispose();
                    }
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException network)
        {
            throw new HubException($"Could not reach the Hugging Face Hub at {Endpoint.GetLeftPart(UriPartial.Authority)} ({operation} of '{context.RepoId}'): {network.Message}",
                0, null, context.RepoId, network);
        }
    }

    public void Dispose() => _http.Dispose();

    public static bool IsRedirect(HttpStatusCode status)
    {
        var code = (int)status;
        return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
    }

    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(HttpMethod method, Uri url, RangeHeaderValue? range, bool followCrossHost,
        CancellationToken cancellationToken)
    {
        var current = url;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, current);
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
            request.Headers.TryAddWithoutValidation("Accept-Encoding", "identity");
            if (_token != null && SameAuthority(current, Endpoint))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            }

            if (range != null)
            {
                request.Headers.Range = range;
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException timeout) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The Hugging Face Hub request {method} {current.AbsolutePath} did not answer within {RetryPolicy.FormatDuration(_http.Timeout)}.", timeout);
            }

            var location = response.Headers.Location;
            if (!IsRedirect(response.StatusCode) || location == null)
            {
                return response;
            }

            var next = new Uri(current, location);
            if (!followCrossHost && !SameAuthority(next, Endpoint))
            {
                return response;
            }

            response.Dispose();
            if (hop >= _maxRedirects)
            {
                throw new HubException($"The Hugging Face Hub redirected {method} {url.AbsolutePath} more than {_maxRedirects} times.", 0, null, null);
            }

            current = next;
        }
    }

    private static bool SameAuthority(Uri a, Uri b)
        => string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;
}

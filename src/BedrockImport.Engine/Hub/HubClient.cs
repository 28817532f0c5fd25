using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Hub
{
    /// <summary>
    /// Plain-HTTPS Hugging Face Hub client (no Python, no Xet): revision and tree APIs to pin a commit and list its files,
    /// ranged GETs on /resolve following redirects. The token goes only to the Hub's own host: a redirect to another host
    /// (the CDN) is followed without the Authorization header. 408/429/5xx are retried through the one RetryPolicy,
    /// honouring Retry-After (capped at RetryOptions.MaxDelay).
    /// </summary>
    public sealed class HubClient : IDisposable
    {
        private const int MaxErrorBodyBytes = 16 * 1024;
        private static readonly string UserAgent = "BedrockImport/" + typeof(HubClient).Assembly.GetName().Version?.ToString(3);

        private readonly HttpClient _http;
        private readonly RetryPolicy _retry;
        private readonly IEngineLog _log;
        private readonly string? _token;
        private readonly int _maxRedirects;

        public HubClient(HubClientOptions? options = null)
            : this(options, null, null)
        {
        }

        /// <param name="retry">The retry policy (tests pass one with a fake clock); null builds one from options.Retry.</param>
        /// <param name="handler">The transport (tests may pass one); null for an HttpClientHandler that does not follow redirects itself.</param>
        internal HubClient(HubClientOptions? options, RetryPolicy? retry, HttpMessageHandler? handler)
        {
            options ??= new HubClientOptions();
            var environment = options.Environment ?? ProcessEnvironment.Instance;
            _log = options.Log ?? NullEngineLog.Instance;
            Endpoint = HubSettings.ResolveEndpoint(options.Endpoint, environment);
            var token = HubSettings.ResolveToken(options.Token, environment);
            _token = token.Token;
            TokenSource = token.Source;
            _retry = retry ?? new RetryPolicy(options.Retry, _log);
            _maxRedirects = Math.Max(0, options.MaxRedirects);
            _http = new HttpClient(handler ?? new HttpClientHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None }, disposeHandler: true)
            {
                Timeout = _retry.Options.RequestTimeout,
            };
        }

        /// <summary>The Hub (always ends with '/').</summary>
        public Uri Endpoint { get; }

        public bool HasToken => _token != null;

        /// <summary>Where the token came from ("HF_TOKEN", "the Token option", "the token file PATH", "none"); never the token.</summary>
        public string TokenSource { get; }

        public override string ToString() => "HubClient(" + Endpoint + ", token: " + TokenSource + ")";

        /// <summary>Pins a revision (branch, tag or sha; null = "main") to its commit and lists every file of that commit
        /// with sizes and, for LFS files, sha256 (tree API, all pages).</summary>
        public async Task<HubRevision> ResolveRevisionAsync(string repoId, string? revision, CancellationToken cancellationToken)
        {
            CheckRepoId(repoId);
            revision = string.IsNullOrEmpty(revision) ? "main" : revision!;
            var context = new ErrorContext(repoId, revision, null);
            var infoUrl = Url("api/models/" + repoId + "/revision/" + Uri.EscapeDataString(revision));
            var info = await CallAsync("ModelInfo", HttpMethod.Get, infoUrl, null, context, true, ReadJsonAsync, cancellationToken).ConfigureAwait(false);

            var sha = StringMember(info, "sha");
            if (sha == null || sha.Length != 40 || !sha.All(IsHex))
            {
                throw new HubException("The Hub's model info for '" + repoId + "' at '" + revision + "' has no commit sha.", 200, null, repoId);
            }

            var isPrivate = info.TryGetProperty("private", out var privateValue) && privateValue.ValueKind == JsonValueKind.True;
            string? gated = null;
            if (info.TryGetProperty("gated", out var gatedValue))
            {
                gated = gatedValue.ValueKind == JsonValueKind.String ? gatedValue.GetString() : gatedValue.ValueKind == JsonValueKind.True ? "auto" : null;
            }

            var files = new List<HubFile>();
            Uri? pageUrl = Url("api/models/" + repoId + "/tree/" + sha + "?recursive=true");
            var treeContext = new ErrorContext(repoId, sha, null);
            while (pageUrl != null)
            {
                var current = pageUrl;
                var page = await CallAsync("Tree", HttpMethod.Get, current, null, treeContext, true,
                    async (response, token) => (Json: await ReadJsonAsync(response, token).ConfigureAwait(false), Next: NextLink(response, current)),
                    cancellationToken).ConfigureAwait(false);
                if (page.Json.ValueKind != JsonValueKind.Array)
                {
                    throw new HubException("The Hub's tree listing of '" + repoId + "' is not a JSON array.", 200, null, repoId);
                }

                foreach (var entry in page.Json.EnumerateArray())
                {
                    if (StringMember(entry, "type") != "file")
                    {
                        continue;
                    }

                    var path = StringMember(entry, "path");
                    if (path == null)
                    {
                        continue;
                    }

                    string? sha256 = null;
                    var size = LongMember(entry, "size") ?? 0;
                    if (entry.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
                    {
                        sha256 = StringMember(lfs, "oid") ?? StringMember(lfs, "sha256");
                        size = LongMember(lfs, "size") ?? size;
                    }

                    files.Add(new HubFile(path, size, StringMember(entry, "oid"), sha256?.ToLowerInvariant()));
                }

                pageUrl = page.Next;
            }

            files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
            return new HubRevision(repoId, revision, sha.ToLowerInvariant(), isPrivate, gated, files);
        }

        /// <summary>HEAD on /resolve: commit, etag (sha256 for LFS), size and the location of the bytes. Redirects to the Hub's own
        /// host are followed; a redirect elsewhere (the CDN) is reported, not followed.</summary>
        public Task<HubFileMetadata> GetFileMetadataAsync(string repoId, string revision, string path, CancellationToken cancellationToken)
        {
            CheckRepoId(repoId);
            var url = ResolveUrl(repoId, revision, path);
            return CallAsync("Resolve", HttpMethod.Head, url, null, new ErrorContext(repoId, revision, path), false, (response, token) =>
            {
                var linkedSize = Header(response, "X-Linked-Size");
                long? size = linkedSize != null && long.TryParse(linkedSize, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                    ? parsed
                    : IsRedirect(response.StatusCode) ? (long?)null : response.Content?.Headers.ContentLength;
                var linkedEtag = Header(response, "X-Linked-Etag");
                var etag = NormalizeEtag(linkedEtag ?? response.Headers.ETag?.Tag ?? Header(response, "ETag"));
                var location = IsRedirect(response.StatusCode) && response.Headers.Location != null
                    ? new Uri(response.RequestMessage?.RequestUri ?? url, response.Headers.Location)
                    : response.RequestMessage?.RequestUri ?? url;
                return Task.FromResult(new HubFileMetadata(Header(response, "X-Repo-Commit"), etag, size, location, linkedEtag != null));
            }, cancellationToken);
        }

        /// <summary>Bytes [offset, offset+length) of a file at a revision (use the pinned sha). Redirects are followed; the
        /// Authorization header is dropped when a redirect leaves the Hub's host. The stream ends early only if the file is shorter.</summary>
        public async Task<Stream> OpenRangeAsync(string repoId, string revision, string path, long offset, long length, CancellationToken cancellationToken)
        {
            CheckRepoId(repoId);
            if (offset < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(offset));
            }

            if (length < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(length));
            }

            if (length == 0)
            {
                return new MemoryStream(Array.Empty<byte>(), writable: false);
            }

            var url = ResolveUrl(repoId, revision, path);
            var range = new RangeHeaderValue(offset, offset + length - 1);
            return await CallAsync<Stream>("Resolve", HttpMethod.Get, url, range, new ErrorContext(repoId, revision, path), true, async (response, token) =>
            {
                long skip = 0;
                if (response.StatusCode == HttpStatusCode.PartialContent)
                {
                    var contentRange = response.Content.Headers.ContentRange;
                    if (contentRange?.From != null && contentRange.From.Value != offset)
                    {
                        throw new HubException($"The Hub answered bytes {contentRange.From}- of '{path}' when bytes {offset}- were asked for.", 206, null, repoId);
                    }
                }
                else
                {
                    // A server that ignores Range sends the whole file: skip to the offset.
                    skip = offset;
                }

                var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
                return new RangeResponseStream(response, body, skip, length);
            }, cancellationToken).ConfigureAwait(false);
        }

        public void Dispose() => _http.Dispose();

        private static void CheckRepoId(string repoId)
        {
            if (!HubModelReference.IsValidRepoId(repoId))
            {
                HubModelReference.Parse(repoId); // throws with the precise reason
            }
        }

        private Uri ResolveUrl(string repoId, string revision, string path)
        {
            if (string.IsNullOrEmpty(revision))
            {
                throw new ArgumentException("A revision is required (pin the commit sha from ResolveRevisionAsync).", nameof(revision));
            }

            if (string.IsNullOrEmpty(path))
            {
                throw new ArgumentException("A file path is required.", nameof(path));
            }

            var escapedPath = string.Join("/", path.Split('/').Select(Uri.EscapeDataString));
            return Url(repoId + "/resolve/" + Uri.EscapeDataString(revision) + "/" + escapedPath);
        }

        private Uri Url(string relative) => new Uri(Endpoint.AbsoluteUri + relative);

        /// <summary>One Hub call: one Verbose line, then attempts through the retry policy. The read runs inside the attempt;
        /// the response is disposed after it unless the read returned a stream that owns it.</summary>
        private async Task<T> CallAsync<T>(string operation, HttpMethod method, Uri url, RangeHeaderValue? range, ErrorContext context, bool followCrossHostRedirects,
            Func<HttpResponseMessage, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
        {
            _log.Verbose($"Hugging Face Hub {operation}: {method} {url.GetComponents(UriComponents.SchemeAndServer | UriComponents.PathAndQuery, UriFormat.UriEscaped)} (token: {TokenSource})");
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
                            var error = await MapErrorAsync(operation, response, context, token).ConfigureAwait(false);
                            if (HubRetryableException.IsRetryableStatus(status))
                            {
                                throw new HubRetryableException(error);
                            }

                            throw error;
                        }

                        var result = await read(response, token).ConfigureAwait(false);
                        keep = result is RangeResponseStream;
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
            catch (HubRetryableException retryable)
            {
                throw retryable.Error;
            }
            catch (HttpRequestException network)
            {
                throw new HubException($"Could not reach the Hugging Face Hub at {Endpoint.GetLeftPart(UriPartial.Authority)} ({operation} of '{context.RepoId}'): {network.Message}",
                    0, null, context.RepoId, network);
            }
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

        private async Task<HubException> MapErrorAsync(string operation, HttpResponseMessage response, ErrorContext context, CancellationToken cancellationToken)
        {
            var status = (int)response.StatusCode;
            var code = Header(response, "X-Error-Code");
            var serverMessage = Header(response, "X-Error-Message");
            if (serverMessage == null && response.RequestMessage?.Method != HttpMethod.Head)
            {
                serverMessage = await ReadErrorBodyAsync(response, cancellationToken).ConfigureAwait(false);
            }

            serverMessage = Scrub(serverMessage);
            var repo = context.RepoId;
            var page = Endpoint.AbsoluteUri + repo;
            var tokenNote = _token == null ? "No token was sent (" + TokenSource + ")." : "The token came from " + TokenSource + ".";
            var detail = string.IsNullOrEmpty(serverMessage) ? "" : " The Hub said: " + serverMessage;
            HubException error;
            switch (code)
            {
                case "RepoNotFound":
                    error = RepositoryNotFound();
                    break;
                case "GatedRepo":
                    error = new HubGatedRepositoryException(_token == null
                        ? $"'{repo}' is a gated model. Log in at {page}, accept its terms of use, create a read token at {Endpoint.AbsoluteUri}settings/tokens and set HF_TOKEN to it (or pass the token explicitly). {tokenNote}"
                        : $"'{repo}' is a gated model and your token has no access to it yet. Accept its terms at {page} with the account that owns the token (some models need the authors' approval), or set HF_TOKEN to a token of an account that has access. {tokenNote}",
                        status, code, repo);
                    break;
                case "RevisionNotFound":
                    error = new HubRevisionNotFoundException($"Revision '{context.Revision}' does not exist in '{repo}' on {Endpoint.Host}. Use a branch, tag or commit sha listed at {page}.{detail}",
                        status, code, repo, context.Revision);
                    break;
                case "EntryNotFound":
                    error = new HubEntryNotFoundException($"'{context.Path}' does not exist in '{repo}' at revision '{context.Revision}'.{detail}",
                        status, code, repo, context.Path);
                    break;
                default:
                    if (status == 401 && serverMessage != null && serverMessage.IndexOf("Invalid credentials", StringComparison.OrdinalIgnoreCase) >= 0)
                    {
                        error = new HubAccessDeniedException($"The Hugging Face Hub rejected the token as invalid (HTTP 401). Create a new read token and set HF_TOKEN. {tokenNote}", status, code, repo);
                    }
                    else if (status == 401)
                    {
                        error = RepositoryNotFound();
                    }
                    else if (status == 403)
                    {
                        error = new HubAccessDeniedException($"Access to '{repo}' was denied (HTTP 403). {tokenNote}{detail}", status, code, repo);
                    }
                    else
                    {
                        error = new HubException($"The Hugging Face Hub answered {AwsErrors.DescribeStatus(status, response.ReasonPhrase)} to {operation} of '{repo}'.{detail}", status, code, repo);
                    }

                    break;
            }

            error.RetryAfter = RetryAfter(response);
            return error;

            HubException RepositoryNotFound() => new HubRepositoryNotFoundException(
                $"Model repository '{repo}' was not found on {Endpoint.Host}: check the id, or, if it is private, use a token with read access to it (HF_TOKEN). {tokenNote}",
                status, code, repo);
        }

        private TimeSpan? RetryAfter(HttpResponseMessage response)
        {
            var header = response.Headers.RetryAfter;
            TimeSpan? delay = header?.Delta ?? (header?.Date != null ? header.Date.Value - DateTimeOffset.UtcNow : (TimeSpan?)null);
            if (delay == null)
            {
                return null;
            }

            if (delay < TimeSpan.Zero)
            {
                delay = TimeSpan.Zero;
            }

            return delay > _retry.Options.MaxDelay ? _retry.Options.MaxDelay : delay;
        }

        private string? Scrub(string? message)
            => message == null || _token == null ? message : message.Replace(_token, "***");

        private static async Task<string?> ReadErrorBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            byte[] body;
            try
            {
                body = await AwsErrors.ReadBodyAsync(response.Content, MaxErrorBodyBytes, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                return null;
            }

            if (body.Length == 0)
            {
                return null;
            }

            try
            {
                using var document = JsonDocument.Parse(body);
                return document.RootElement.ValueKind == JsonValueKind.Object ? StringMember(document.RootElement, "error") ?? StringMember(document.RootElement, "message") : null;
            }
            catch (JsonException)
            {
                return null; // an HTML page from a proxy: do not dump it
            }
        }

        private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            try
            {
                using var document = JsonDocument.Parse(body);
                return document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new HubException($"The Hugging Face Hub answered {response.RequestMessage?.RequestUri?.AbsolutePath} with invalid JSON: {e.Message}", (int)response.StatusCode, null, null);
            }
        }

        /// <summary>The rel="next" target of a GitHub-style Link header, resolved against the request URL.</summary>
        internal static Uri? NextLink(HttpResponseMessage response, Uri requestUrl)
        {
            if (!response.Headers.TryGetValues("Link", out var values))
            {
                return null;
            }

            foreach (var value in values)
            {
                foreach (var part in value.Split(','))
                {
                    var open = part.IndexOf('<');
                    var close = part.IndexOf('>');
                    if (open < 0 || close <= open)
                    {
                        continue;
                    }

                    var parameters = part.Substring(close + 1).Split(';').Select(p => p.Trim().Replace(" ", ""));
                    if (parameters.Any(p => p == "rel=\"next\"" || p == "rel=next"))
                    {
                        return new Uri(requestUrl, part.Substring(open + 1, close - open - 1).Trim());
                    }
                }
            }

            return null;
        }

        private static bool SameAuthority(Uri a, Uri b)
            => string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

        private static bool IsRedirect(HttpStatusCode status)
        {
            var code = (int)status;
            return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
        }

        private static string? NormalizeEtag(string? etag)
        {
            if (etag == null)
            {
                return null;
            }

            var value = etag.Trim();
            if (value.StartsWith("W/", StringComparison.Ordinal))
            {
                value = value.Substring(2);
            }

            return value.Trim('"');
        }

        private static string? Header(HttpResponseMessage response, string name) => AwsErrors.Header(response, name);

        private static string? StringMember(JsonElement element, string name)
            => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        private static long? LongMember(JsonElement element, string name)
            => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
                ? number
                : (long?)null;

        private static bool IsHex(char c) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

        private sealed class ErrorContext
        {
            public ErrorContext(string repoId, string? revision, string? path)
            {
                RepoId = repoId;
                Revision = revision;
                Path = path;
            }

            public string RepoId { get; }
            public string? Revision { get; }
            public string? Path { get; }
        }

        /// <summary>The body of a ranged answer: skips what a Range-ignoring server sent before the offset, stops after the
        /// requested length, and disposes the response with it.</summary>
        private sealed class RangeResponseStream : BedrockImport.Engine.IO.ReadOnlyForwardStream
        {
            private readonly HttpResponseMessage _response;
            private readonly Stream _body;
            private long _skip;
            private long _remaining;

            public RangeResponseStream(HttpResponseMessage response, Stream body, long skip, long length)
            {
                _response = response;
                _body = body;
                _skip = skip;
                _remaining = length;
            }


            public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

            public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            {
                while (_skip > 0)
                {
                    var skipped = await _body.ReadAsync(buffer, offset, (int)Math.Min(count, _skip), cancellationToken).ConfigureAwait(false);
                    if (skipped == 0)
                    {
                        return 0;
                    }

                    _skip -= skipped;
                }

                if (_remaining <= 0)
                {
                    return 0;
                }

                var read = await _body.ReadAsync(buffer, offset, (int)Math.Min(count, _remaining), cancellationToken).ConfigureAwait(false);
                _remaining -= read;
                return read;
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    _body.Dispose();
                    _response.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }
}

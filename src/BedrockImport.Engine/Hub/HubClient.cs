using System.Net.Http.Headers;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Hub;

/// <summary>
/// Plain-HTTPS Hugging Face Hub client (no Python, no Xet): revision and tree APIs to pin a commit and list its files,
/// ranged GETs on /resolve following redirects. The token goes only to the Hub's own host: a redirect to another host
/// (the CDN) is followed without the Authorization header. 408/429/5xx are retried through the one RetryPolicy,
/// honouring Retry-After (capped at RetryOptions.MaxDelay).
/// </summary>
/// <remarks>The operations are here; HubHttp sends (redirects, token scoping, retries), HubResponses reads the answers
/// (model info, tree pages and their Link paging, file metadata) and HubErrorMapper turns failures into typed HubExceptions.</remarks>
public sealed class HubClient : IDisposable
{
    private readonly HubHttp _http;

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
        var log = options.Log ?? NullEngineLog.Instance;
        Endpoint = HubSettings.ResolveEndpoint(options.Endpoint, environment);
        var token = HubSettings.ResolveToken(options.Token, environment);
        TokenSource = token.Source;
        _http = new HubHttp(Endpoint, token.Token, token.Source, retry ?? new RetryPolicy(options.Retry, log), Math.Max(0, options.MaxRedirects), handler, log);
    }

    /// <summary>The Hub (always ends with '/').</summary>
    public Uri Endpoint { get; }

    public bool HasToken => _http.HasToken;

    /// <summary>Where the token came from ("HF_TOKEN", "the Token option", "the token file PATH", "none"); never the token.</summary>
    public string TokenSource { get; }

    public override string ToString() => "HubClient(" + Endpoint + ", token: " + TokenSource + ")";

    /// <summary>Pins a revision (branch, tag or sha; null = "main") to its commit and lists every file of that commit
    /// with sizes and, for LFS files, sha256 (tree API, all pages).</summary>
    public async Task<HubRevision> ResolveRevisionAsync(string repoId, string? revision, CancellationToken cancellationToken)
    {
        CheckRepoId(repoId);
        revision = string.IsNullOrEmpty(revision) ? "main" : revision!;
        var infoUrl = Url("api/models/" + repoId + "/revision/" + Uri.EscapeDataString(revision));
        var info = await _http.CallAsync("ModelInfo", HttpMethod.Get, infoUrl, null, new HubErrorContext(repoId, revision, null), true,
            HubResponses.ReadJsonAsync, cancellationToken).ConfigureAwait(false);
        var commit = HubResponses.ParseCommit(info, repoId, revision);

        var files = new List<HubFile>();
        Uri? pageUrl = Url("api/models/" + repoId + "/tree/" + commit.Sha + "?recursive=true");
        var treeContext = new HubErrorContext(repoId, commit.Sha, null);
        while (pageUrl != null)
        {
            var current = pageUrl;
            var page = await _http.CallAsync("Tree", HttpMethod.Get, current, null, treeContext, true,
                async (response, token) => (Json: await HubResponses.ReadJsonAsync(response, token).ConfigureAwait(false), Next: HubResponses.NextLink(response, current)),
                cancellationToken).ConfigureAwait(false);
            files.AddRange(HubResponses.ParseTreePage(page.Json, repoId));
            pageUrl = page.Next;
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new HubRevision(repoId, revision, commit.Sha.ToLowerInvariant(), commit.IsPrivate, commit.Gated, files);
    }

    /// <summary>HEAD on /resolve: commit, etag (sha256 for LFS), size and the location of the bytes. Redirects to the Hub's own
    /// host are followed; a redirect elsewhere (the CDN) is reported, not followed.</summary>
    public Task<HubFileMetadata> GetFileMetadataAsync(string repoId, string revision, string path, CancellationToken cancellationToken)
    {
        CheckRepoId(repoId);
        var url = ResolveUrl(repoId, revision, path);
        return _http.CallAsync("Resolve", HttpMethod.Head, url, null, new HubErrorContext(repoId, revision, path), false,
            (response, token) => Task.FromResult(HubResponses.ReadFileMetadata(response, url)), cancellationToken);
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
        return await _http.CallAsync<Stream>("Resolve", HttpMethod.Get, url, range, new HubErrorContext(repoId, revision, path), true,
            async (response, token) => await HubRangeStream.OpenAsync(response, offset, length, path, repoId).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
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
}

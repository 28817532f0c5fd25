using System.Text.Json;
using BedrockImport.Engine.Wire;
using BedrockImport.Shared;

namespace BedrockImport.Engine.Hub;

/// <summary>What a Hub call was about, for its error message.</summary>
internal sealed class HubErrorContext
{
    public HubErrorContext(string repoId, string? revision, string? path)
    {
        RepoId = repoId;
        Revision = revision;
        Path = path;
    }

    public string RepoId { get; }
    public string? Revision { get; }
    public string? Path { get; }
}

/// <summary>Turns a failed Hub answer into a typed HubException (by X-Error-Code, then status) whose message says what to do,
/// names where the token came from and never contains the token.</summary>
internal sealed class HubErrorMapper
{
    private const int MaxErrorBodyBytes = 16 * 1024;

    private readonly Uri _endpoint;
    private readonly string? _token;
    private readonly string _tokenSource;
    private readonly TimeSpan _maxRetryAfter;

    public HubErrorMapper(Uri endpoint, string? token, string tokenSource, TimeSpan maxRetryAfter)
    {
        _endpoint = endpoint;
        _token = token;
        _tokenSource = tokenSource;
        _maxRetryAfter = maxRetryAfter;
    }

    public async Task<HubException> MapAsync(string operation, HttpResponseMessage response, HubErrorContext context, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var code = HubResponses.Header(response, "X-Error-Code");
        var serverMessage = HubResponses.Header(response, "X-Error-Message");
        if (serverMessage == null && response.RequestMessage?.Method != HttpMethod.Head)
        {
            serverMessage = await ReadErrorBodyAsync(response, cancellationToken).ConfigureAwait(false);
        }

        serverMessage = Scrub(serverMessage);
        var repo = context.RepoId;
        var page = _endpoint.AbsoluteUri + repo;
        var tokenNote = _token == null ? "No token was sent (" + _tokenSource + ")." : "The token came from " + _tokenSource + ".";
        var detail = string.IsNullOrEmpty(serverMessage) ? "" : " The Hub said: " + serverMessage;
        HubException error;
        switch (code)
        {
            case "RepoNotFound":
                error = RepositoryNotFound();
                break;
            case "GatedRepo":
                error = new HubGatedRepositoryException(_token == null
                    ? $"'{repo}' is a gated model. Log in at {page}, accept its terms of use, create a read token at {_endpoint.AbsoluteUri}settings/tokens and set HF_TOKEN to it (or pass the token explicitly). {tokenNote}"
                    : $"'{repo}' is a gated model and your token has no access to it yet. Accept its terms at {page} with the account that owns the token (some models need the authors' approval), or set HF_TOKEN to a token of an account that has access. {tokenNote}",
                    status, code, repo);
                break;
            case "RevisionNotFound":
                error = new HubRevisionNotFoundException($"Revision '{context.Revision}' does not exist in '{repo}' on {_endpoint.Host}. Use a branch, tag or commit sha listed at {page}.{detail}",
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
            $"Model repository '{repo}' was not found on {_endpoint.Host}: check the id, or, if it is private, use a token with read access to it (HF_TOKEN). {tokenNote}",
            status, code, repo);
    }

    /// <summary>Retry-After (seconds or a date), capped at the retry policy's longest delay.</summary>
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

        return delay > _maxRetryAfter ? _maxRetryAfter : delay;
    }

    private string? Scrub(string? message)
        => message == null || _token == null ? message : message.Replace(_token, "***");

    /// <summary>The "error" (or "message") of a JSON error body; null for anything else.</summary>
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
            using var document = StrictJson.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? HubResponses.StringMember(document.RootElement, "error") ?? HubResponses.StringMember(document.RootElement, "message")
                : null;
        }
        catch (JsonException)
        {
            return null; // an HTML page from a proxy: do not dump it
        }
    }
}

using System.Globalization;
using System.Text.Json;
using BedrockImport.Engine.Wire;
using BedrockImport.Shared;

namespace BedrockImport.Engine.Hub;

/// <summary>The response layer of HubClient for successful answers: the model info's commit, the tree listing and its Link
/// paging, and the headers of a HEAD on /resolve.</summary>
internal static class HubResponses
{
    /// <summary>What the revision API says about a commit.</summary>
    public sealed class CommitInfo
    {
        public CommitInfo(string sha, bool isPrivate, string? gated)
        {
            Sha = sha;
            IsPrivate = isPrivate;
            Gated = gated;
        }

        /// <summary>40-hex, as the Hub wrote it.</summary>
        public string Sha { get; }
        public bool IsPrivate { get; }
        public string? Gated { get; }
    }

    /// <summary>The commit sha, private flag and gating of a model info answer (api/models/REPO/revision/REV).</summary>
    public static CommitInfo ParseCommit(JsonElement info, string repoId, string revision)
    {
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

        return new CommitInfo(sha, isPrivate, gated);
    }

    /// <summary>The files of one tree page: folders left out, LFS files with their real size and sha256.</summary>
    public static IReadOnlyList<HubFile> ParseTreePage(JsonElement json, string repoId)
    {
        if (json.ValueKind != JsonValueKind.Array)
        {
            throw new HubException("The Hub's tree listing of '" + repoId + "' is not a JSON array.", 200, null, repoId);
        }

        var files = new List<HubFile>();
        foreach (var entry in json.EnumerateArray())
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

        return files;
    }

    /// <summary>The rel="next" target of a GitHub-style Link header, resolved against the request URL.</summary>
    public static Uri? NextLink(HttpResponseMessage response, Uri requestUrl)
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
                    // A next page the client cannot follow is a malformed answer: skipping it would list only part of the files.
                    var target = part.Substring(open + 1, close - open - 1).Trim();
                    if (!Uri.TryCreate(requestUrl, target, out var next) || (next.Scheme != Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttp))
                    {
                        throw new HubException("The Hub's Link header for " + requestUrl.AbsolutePath + " names a next page that is not an http(s) URL ("
                            + target.Length + " characters).", (int)response.StatusCode, null, null);
                    }

                    return next;
                }
            }
        }

        return null;
    }

    /// <summary>Commit, etag (sha256 for LFS), size and the location of the bytes from a HEAD on /resolve (a redirect to the
    /// CDN is the answer, not followed).</summary>
    public static HubFileMetadata ReadFileMetadata(HttpResponseMessage response, Uri url)
    {
        var linkedSize = Header(response, "X-Linked-Size");
        long? size = linkedSize != null && long.TryParse(linkedSize, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : HubHttp.IsRedirect(response.StatusCode) ? (long?)null : response.Content?.Headers.ContentLength;
        var linkedEtag = Header(response, "X-Linked-Etag");
        var etag = NormalizeEtag(linkedEtag ?? response.Headers.ETag?.Tag ?? Header(response, "ETag"));
        var location = HubHttp.IsRedirect(response.StatusCode) && response.Headers.Location != null
            ? new Uri(response.RequestMessage?.RequestUri ?? url, response.Headers.Location)
            : response.RequestMessage?.RequestUri ?? url;
        return new HubFileMetadata(Header(response, "X-Repo-Commit"), etag, size, location, linkedEtag != null);
    }

    public static string? Header(HttpResponseMessage response, string name) => AwsErrors.Header(response, name);

    public static string? StringMember(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        try
        {
            using var document = StrictJson.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new HubException($"The Hugging Face Hub answered {response.RequestMessage?.RequestUri?.AbsolutePath} with invalid JSON: {e.Message}", (int)response.StatusCode, null, null);
        }
    }

    private static long? LongMember(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : (long?)null;

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

    private static bool IsHex(char c) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

namespace BedrockImport.LocalEndpoint.Hub;

/// <summary>Who may see a mirrored repository: its .hub.json settings against the request's bearer token.</summary>
internal static class HubAccess
{
    private const string NotFound = "Repository not found. Make sure the repository id is correct and, for a private repository, that you are authenticated.";

    /// <summary>Status 0 when access is granted, else the Hub's status, X-Error-Code and message.
    /// As on the Hub, a gated repository's info and file list are public; only file downloads (fileAccess) are gated.</summary>
    public static (int Status, string? Code, string Message) Decide(HubRepoSnapshot? snapshot, string repoId, string? token, bool fileAccess)
    {
        if (snapshot is null)
            return (401, "RepoNotFound", NotFound);
        var settings = snapshot.Settings;
        var listed = token is not null && settings.Tokens.Contains(token, StringComparer.Ordinal);
        if (settings.Private && !listed)
            return (401, "RepoNotFound", NotFound);
        if (settings.Disabled)
            return (403, null, "Access to this resource is disabled.");
        if (!settings.Gated || settings.Private || !fileAccess)
            return (0, null, "");
        if (token is null)
            return (401, "GatedRepo", $"Access to model {repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.");
        if (!listed)
            return (403, "GatedRepo", $"Access to model {repoId} is restricted and you are not in the authorized list. Visit the model page to ask for access.");
        return (0, null, "");
    }

    public static string? BearerToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }
}

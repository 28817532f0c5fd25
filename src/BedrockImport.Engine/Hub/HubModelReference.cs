using BedrockImport.Engine.Errors;

namespace BedrockImport.Engine.Hub;

/// <summary>A string that should name a Hugging Face model repository but does not.</summary>
public sealed class HubModelReferenceFormatException : FormatException, IEngineError
{
    public HubModelReferenceFormatException(string message) : base(message)
    {
    }

    public string ErrorId => "InvalidHuggingFaceModel";

    public ErrorKind Kind => ErrorKind.Invalid;
}

/// <summary>A Hub model repository ("org/name") and, when the input named one, a revision.
/// Accepts "org/name" and web URLs such as https://huggingface.co/org/name, .../tree/rev, .../blob/rev/file, .../resolve/rev/file.</summary>
public sealed class HubModelReference
{
    private const int MaxPartLength = 96;
    private static readonly string[] KnownHubHosts = { "huggingface.co", "www.huggingface.co", "hf.co" };

    public HubModelReference(string repoId, string? revision = null)
    {
        var error = ValidateRepoId(repoId);
        if (error != null)
        {
            throw new HubModelReferenceFormatException(error);
        }

        if (revision != null && revision.Trim().Length == 0)
        {
            throw new HubModelReferenceFormatException("A revision must not be empty.");
        }

        RepoId = repoId;
        Revision = revision;
    }

    /// <summary>"org/name".</summary>
    public string RepoId { get; }

    /// <summary>The revision the input named (branch, tag or commit sha); null means the default branch.</summary>
    public string? Revision { get; }

    public string Organization => RepoId.Substring(0, RepoId.IndexOf('/'));

    public string Name => RepoId.Substring(RepoId.IndexOf('/') + 1);

    public override string ToString() => Revision == null ? RepoId : RepoId + "@" + Revision;

    /// <summary>Parses "org/name" or a Hub URL.</summary>
    /// <param name="endpoint">Also accept URLs on this host (a mirror set through HF_ENDPOINT).</param>
    /// <exception cref="HubModelReferenceFormatException">The text names no model repository.</exception>
    public static HubModelReference Parse(string text, Uri? endpoint = null)
    {
        if (TryParse(text, endpoint, out var reference, out var error))
        {
            return reference!;
        }

        throw new HubModelReferenceFormatException(error!);
    }

    public static bool TryParse(string text, Uri? endpoint, out HubModelReference? reference, out string? error)
    {
        reference = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "A Hugging Face model id is required, e.g. 'rinna/llama-3-youko-8b'.";
            return false;
        }

        text = text.Trim();
        string? revision = null;
        string repoId;
        if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url))
            {
                error = "'" + text + "' is not a valid URL.";
                return false;
            }

            var host = url.Host;
            var known = KnownHubHosts.Contains(host, StringComparer.OrdinalIgnoreCase)
                        || (endpoint != null && string.Equals(endpoint.Host, host, StringComparison.OrdinalIgnoreCase) && endpoint.Port == url.Port);
            if (!known)
            {
                error = "'" + text + "' is not a Hugging Face Hub URL (expected https://huggingface.co/org/name).";
                return false;
            }

            var prefix = endpoint != null && known && string.Equals(endpoint.Host, host, StringComparison.OrdinalIgnoreCase) ? endpoint.AbsolutePath.Trim('/') : "";
            var path = url.AbsolutePath.Trim('/');
            if (prefix.Length > 0 && path.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                path = path.Substring(prefix.Length + 1);
            }

            var segments = path.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
            if (segments.Length > 0 && (segments[0] == "datasets" || segments[0] == "spaces"))
            {
                error = "'" + text + "' names a Hugging Face " + segments[0].TrimEnd('s') + ", not a model.";
                return false;
            }

            if (segments.Length < 2)
            {
                error = "'" + text + "' does not name a model repository (expected https://huggingface.co/org/name).";
                return false;
            }

            repoId = Uri.UnescapeDataString(segments[0]) + "/" + Uri.UnescapeDataString(segments[1]);
            if (segments.Length >= 3)
            {
                if (segments[2] != "tree" && segments[2] != "blob" && segments[2] != "resolve" && segments[2] != "commit")
                {
                    error = "'" + text + "' is not a model page URL: '/" + segments[2] + "' after the repository is not understood.";
                    return false;
                }

                if (segments.Length < 4)
                {
                    error = "'" + text + "' has no revision after '/" + segments[2] + "/'.";
                    return false;
                }

                revision = Uri.UnescapeDataString(segments[3]);
            }
        }
        else
        {
            repoId = text;
        }

        error = ValidateRepoId(repoId);
        if (error != null)
        {
            return false;
        }

        reference = new HubModelReference(repoId, revision);
        return true;
    }

    public static bool IsValidRepoId(string repoId) => ValidateRepoId(repoId) == null;

    /// <summary>The Hub's rules (huggingface_hub validate_repo_id): org/name, each of letters, digits, '-', '_' and '.',
    /// starting and ending with a letter, digit or '_', no "--" or "..", at most 96 characters, not ending in ".git".</summary>
    private static string? ValidateRepoId(string? repoId)
    {
        var shown = "'" + repoId + "'";
        if (string.IsNullOrEmpty(repoId))
        {
            return "A Hugging Face model id is required, e.g. 'rinna/llama-3-youko-8b'.";
        }

        var parts = repoId!.Split('/');
        if (parts.Length != 2)
        {
            return shown + " is not a Hugging Face model id: expected 'org/name', e.g. 'rinna/llama-3-youko-8b', or a https://huggingface.co/org/name URL.";
        }

        foreach (var part in parts)
        {
            if (part.Length == 0 || part.Length > MaxPartLength)
            {
                return shown + " is not a Hugging Face model id: the organization and the name must each have 1 to " + MaxPartLength + " characters.";
            }

            if (!part.All(c => IsWordChar(c) || c == '-' || c == '.'))
            {
                return shown + " is not a Hugging Face model id: only letters, digits, '-', '_' and '.' are allowed.";
            }

            if (!IsWordChar(part[0]) || !IsWordChar(part[part.Length - 1]))
            {
                return shown + " is not a Hugging Face model id: each part must start and end with a letter, a digit or '_'.";
            }
        }

        if (repoId.Contains("--") || repoId.Contains(".."))
        {
            return shown + " is not a Hugging Face model id: '--' and '..' are not allowed.";
        }

        if (repoId.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            return shown + " is not a Hugging Face model id: it must not end with '.git'.";
        }

        return null;
    }

    private static bool IsWordChar(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

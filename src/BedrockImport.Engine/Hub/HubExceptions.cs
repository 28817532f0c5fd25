using BedrockImport.Engine.Errors;

namespace BedrockImport.Engine.Hub;

/// <summary>An error answered by the Hugging Face Hub (typed by status and X-Error-Code). Messages never contain the token.</summary>
public class HubException : Exception, IServiceError
{
    public HubException(string message, int statusCode, string? errorCode, string? repoId, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
        RepoId = repoId;
    }

    /// <summary>The HTTP status (0 when no answer arrived).</summary>
    public int StatusCode { get; }

    /// <summary>The X-Error-Code header (RepoNotFound, GatedRepo, RevisionNotFound, EntryNotFound), if any.</summary>
    public string? ErrorCode { get; }

    public string? RepoId { get; }

    /// <summary>The Retry-After the Hub sent with its last 429/5xx, if any.</summary>
    public TimeSpan? RetryAfter { get; internal set; }

    public virtual string ErrorId => "HubError";

    public virtual ErrorKind Kind => HttpStatusRules.Kind(StatusCode);
}

/// <summary>The repository does not exist, or it is private and the token (if any) has no access. The Hub answers both alike (401).</summary>
public sealed class HubRepositoryNotFoundException : HubException
{
    public HubRepositoryNotFoundException(string message, int statusCode, string? errorCode, string? repoId)
        : base(message, statusCode, errorCode, repoId)
    {
    }

    public override string ErrorId => "HubRepositoryNotFound";

    public override ErrorKind Kind => ErrorKind.NotFound;
}

/// <summary>The token was rejected or lacks permission (403), or access to the repository is disabled.</summary>
public class HubAccessDeniedException : HubException
{
    public HubAccessDeniedException(string message, int statusCode, string? errorCode, string? repoId)
        : base(message, statusCode, errorCode, repoId)
    {
    }

    public override string ErrorId => "HubAccessDenied";

    public override ErrorKind Kind => ErrorKind.Denied;
}

/// <summary>A gated repository: the user must accept its terms on the Hub and use a token of that account.</summary>
public sealed class HubGatedRepositoryException : HubAccessDeniedException
{
    public HubGatedRepositoryException(string message, int statusCode, string? errorCode, string? repoId)
        : base(message, statusCode, errorCode, repoId)
    {
    }

    public override string ErrorId => "HubGatedRepository";

    public override ErrorKind Kind => ErrorKind.Denied;
}

public sealed class HubRevisionNotFoundException : HubException
{
    public HubRevisionNotFoundException(string message, int statusCode, string? errorCode, string? repoId, string? revision)
        : base(message, statusCode, errorCode, repoId)
    {
        Revision = revision;
    }

    public override string ErrorId => "HubRevisionNotFound";

    public override ErrorKind Kind => ErrorKind.NotFound;

    public string? Revision { get; }
}

public sealed class HubEntryNotFoundException : HubException
{
    public HubEntryNotFoundException(string message, int statusCode, string? errorCode, string? repoId, string? path)
        : base(message, statusCode, errorCode, repoId)
    {
        Path = path;
    }

    public override string ErrorId => "HubEntryNotFound";

    public override ErrorKind Kind => ErrorKind.NotFound;

    public string? Path { get; }
}

using BedrockImport.Engine.Credentials;

namespace BedrockImport.Engine.Hub;

/// <summary>Endpoint and token lookup with huggingface_hub's environment variables.</summary>
internal static class HubSettings
{
    public const string DefaultEndpoint = "https://huggingface.co";

    public static Uri ResolveEndpoint(Uri? option, IEnvironment environment)
    {
        if (option != null)
        {
            return Normalize(option, "the Endpoint option");
        }

        var fromEnvironment = environment.Get("HF_ENDPOINT");
        if (fromEnvironment == null)
        {
            return new Uri(DefaultEndpoint + "/");
        }

        if (!Uri.TryCreate(fromEnvironment.Trim(), UriKind.Absolute, out var parsed))
        {
            throw new ArgumentException("HF_ENDPOINT '" + fromEnvironment + "' is not an absolute http(s) URL.");
        }

        return Normalize(parsed, "HF_ENDPOINT");
    }

    private static Uri Normalize(Uri endpoint, string what)
    {
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException(what + " '" + endpoint + "' is not an absolute http(s) URL.");
        }

        var text = endpoint.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith("/", StringComparison.Ordinal) ? text : text + "/");
    }

    /// <summary>The token and where it came from ("the Token option", "HF_TOKEN", ...); (null, "none") without one.</summary>
    public static (string? Token, string Source) ResolveToken(string? option, IEnvironment environment)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return (option!.Trim(), "the Token option");
        }

        if (IsTrue(environment.Get("HF_HUB_DISABLE_IMPLICIT_TOKEN")))
        {
            return (null, "none (HF_HUB_DISABLE_IMPLICIT_TOKEN is set)");
        }

        foreach (var name in new[] { "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN" })
        {
            var value = environment.Get(name);
            if (!string.IsNullOrWhiteSpace(value))
            {
                return (value!.Trim(), name);
            }
        }

        var path = TokenFilePath(environment);
        try
        {
            if (path != null && File.Exists(path))
            {
                var token = File.ReadAllText(path).Trim();
                if (token.Length > 0)
                {
                    return (token, "the token file " + path);
                }
            }
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            return (null, "none (the token file " + path + " could not be read: " + e.GetType().Name + ")");
        }

        return (null, "none");
    }

    /// <summary>$HF_TOKEN_PATH, else $HF_HOME/token, HF_HOME defaulting to $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface.</summary>
    public static string? TokenFilePath(IEnvironment environment)
    {
        var explicitPath = environment.Get("HF_TOKEN_PATH");
        if (explicitPath != null)
        {
            return ExpandHome(explicitPath, environment);
        }

        var home = environment.Get("HF_HOME");
        if (home == null)
        {
            var cache = environment.Get("XDG_CACHE_HOME") ?? CombineHome(".cache", environment);
            if (cache == null)
            {
                return null;
            }

            home = Path.Combine(ExpandHome(cache, environment), "huggingface");
        }

        return Path.Combine(ExpandHome(home, environment), "token");
    }

    private static string ExpandHome(string path, IEnvironment environment)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal))
        {
            var home = UserHome(environment);
            if (home != null)
            {
                return path.Length == 1 ? home : Path.Combine(home, path.Substring(2));
            }
        }

        return path;
    }

    private static string? CombineHome(string relative, IEnvironment environment)
    {
        var home = UserHome(environment);
        return home == null ? null : Path.Combine(home, relative);
    }

    private static string? UserHome(IEnvironment environment)
        => environment.Get("HOME") ?? environment.Get("USERPROFILE");

    private static bool IsTrue(string? value)
    {
        if (value == null)
        {
            return false;
        }

        var v = value.Trim().ToUpperInvariant();
        return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
    }
}

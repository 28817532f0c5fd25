using BedrockImport.Engine.Hub;

namespace BedrockImport.Infrastructure;

/// <summary>The Hub client and model reference of the -HuggingFaceModel parameter sets (Copy- and Test-BedrockModelSource).</summary>
internal static class HubCmdletSupport
{
    /// <summary>The token comes from HF_TOKEN, HUGGING_FACE_HUB_TOKEN or the token file (HubClient's lookup); it is never logged.</summary>
    public static HubClient CreateClient(string? endpoint, Engine.Diagnostics.IEngineLog log)
    {
        Uri? endpointUri = null;
        if (endpoint != null && (!Uri.TryCreate(endpoint, UriKind.Absolute, out endpointUri) || (endpointUri.Scheme != Uri.UriSchemeHttp && endpointUri.Scheme != Uri.UriSchemeHttps)))
        {
            throw new ArgumentException($"-HuggingFaceEndpoint '{endpoint}' is not an absolute http(s) URL.");
        }

        return new HubClient(new HubClientOptions { Endpoint = endpointUri, Log = log });
    }

    public static HubModelReference Reference(string model, string? revision, HubClient client)
    {
        var parsed = HubModelReference.Parse(model, client.Endpoint);
        if (revision == null)
        {
            return parsed;
        }

        if (parsed.Revision != null && !string.Equals(parsed.Revision, revision, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The URL names revision '{parsed.Revision}' and -Revision names '{revision}': give one.");
        }

        return new HubModelReference(parsed.RepoId, revision);
    }
}

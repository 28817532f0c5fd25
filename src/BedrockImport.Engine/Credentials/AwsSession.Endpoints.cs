using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Credentials;

public sealed partial class AwsSession
{
    /// <summary>-EndpointUrl, then AWS_ENDPOINT_URL_&lt;SERVICE&gt;, then AWS_ENDPOINT_URL (both skipped when
    /// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), then the regional default, as the AWS SDKs do.</summary>
    public Uri ResolveEndpoint(AwsService service)
    {
        if (service == null)
        {
            throw new ArgumentNullException(nameof(service));
        }

        if (EndpointUrlOverride != null)
        {
            return ParseEndpoint(EndpointUrlOverride, "-EndpointUrl");
        }

        if (!string.Equals(Environment.Get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var variable in new[] { service.EndpointVariable, "AWS_ENDPOINT_URL" })
            {
                var configured = Environment.Get(variable);
                if (configured != null)
                {
                    return ParseEndpoint(configured, variable);
                }
            }
        }

        return service.RegionalEndpoint(Region);
    }

    /// <summary>Whether calls to this service go somewhere other than its regional AWS endpoint.</summary>
    public bool HasEndpointOverride(AwsService service)
        => Uri.Compare(ResolveEndpoint(service), service.RegionalEndpoint(Region), UriComponents.SchemeAndServer | UriComponents.Path,
            UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0;

    private static Uri ParseEndpoint(string value, string origin)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        throw new CredentialResolutionException(CredentialProblem.InvalidEndpoint,
            $"The endpoint '{value}' from {origin} is not an absolute http or https URL.");
    }
}

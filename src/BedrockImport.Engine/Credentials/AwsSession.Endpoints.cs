using System;

namespace BedrockImport.Engine.Credentials
{
    public sealed partial class AwsSession
    {
        /// <summary>-EndpointUrl, then AWS_ENDPOINT_URL_&lt;SERVICE&gt;, then AWS_ENDPOINT_URL (both skipped when
        /// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), then the regional default, as the AWS SDKs do.</summary>
        public Uri ResolveEndpoint(AwsService service)
        {
            if (EndpointUrlOverride != null)
            {
                return ParseEndpoint(EndpointUrlOverride, "-EndpointUrl");
            }

            if (!string.Equals(Environment.Get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase))
            {
                var serviceVariable = "AWS_ENDPOINT_URL_" + ServiceIdentifier(service);
                var configured = Environment.Get(serviceVariable);
                if (configured != null)
                {
                    return ParseEndpoint(configured, serviceVariable);
                }

                configured = Environment.Get("AWS_ENDPOINT_URL");
                if (configured != null)
                {
                    return ParseEndpoint(configured, "AWS_ENDPOINT_URL");
                }
            }

            var suffix = Region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
            return new Uri($"https://{HostPrefix(service)}.{Region}.{suffix}/");
        }

        /// <summary>The part of AWS_ENDPOINT_URL_&lt;SERVICE&gt;: the SDK service id, upper case, spaces as underscores.</summary>
        internal static string ServiceIdentifier(AwsService service) => service switch
        {
            AwsService.Bedrock => "BEDROCK",
            AwsService.BedrockRuntime => "BEDROCK_RUNTIME",
            AwsService.S3 => "S3",
            _ => throw new ArgumentOutOfRangeException(nameof(service)),
        };

        internal static string HostPrefix(AwsService service) => service switch
        {
            AwsService.Bedrock => "bedrock",
            AwsService.BedrockRuntime => "bedrock-runtime",
            AwsService.S3 => "s3",
            _ => throw new ArgumentOutOfRangeException(nameof(service)),
        };

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
}

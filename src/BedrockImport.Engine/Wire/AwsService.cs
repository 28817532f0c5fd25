namespace BedrockImport.Engine.Wire;

/// <summary>The wire protocol of a service, as botocore's metadata names it.</summary>
public enum AwsProtocol
{
    /// <summary>rest-json: the operation is in the method and path, JSON bodies, x-amzn-ErrorType (Bedrock, Bedrock Runtime).</summary>
    RestJson,
    /// <summary>json (1.1): POST / with X-Amz-Target naming the operation, application/x-amz-json-1.1 bodies (Service Quotas).</summary>
    Json11,
    /// <summary>rest-xml (S3, served through AWSSDK.S3).</summary>
    RestXml,
}

/// <summary>One AWS service the module calls: the service catalogue. Each field is the service's botocore metadata
/// (data/&lt;service&gt;/&lt;version&gt;/service-2.json), so adding a service is one record here plus its client file.</summary>
public sealed class AwsService
{
    public static readonly AwsService Bedrock = new AwsService(
        "Bedrock", "bedrock", "bedrock", "Amazon Bedrock", AwsProtocol.RestJson, "2023-04-20", acceptsBearerToken: true);

    /// <summary>Signs as "bedrock", like the control plane; only the host differs.</summary>
    public static readonly AwsService BedrockRuntime = new AwsService(
        "Bedrock Runtime", "bedrock-runtime", "bedrock", "Amazon Bedrock Runtime", AwsProtocol.RestJson, "2023-09-30", acceptsBearerToken: true);

    public static readonly AwsService S3 = new AwsService(
        "S3", "s3", "s3", "Amazon S3", AwsProtocol.RestXml, "2006-03-01");

    /// <summary>Its metadata lists aws.auth#sigv4 only: a Bedrock API key never applies here (SigV4 always).</summary>
    public static readonly AwsService ServiceQuotas = new AwsService(
        "Service Quotas", "servicequotas", "servicequotas", "Service Quotas", AwsProtocol.Json11, "2019-06-24",
        targetPrefix: "ServiceQuotasV20190624");

    public AwsService(string serviceId, string endpointPrefix, string signingName, string displayName, AwsProtocol protocol,
        string apiVersion, string? targetPrefix = null, bool acceptsBearerToken = false)
    {
        if (protocol == AwsProtocol.Json11 && string.IsNullOrEmpty(targetPrefix))
        {
            throw new ArgumentException("A JSON 1.1 service needs its target prefix (X-Amz-Target is '<prefix>.<operation>').", nameof(targetPrefix));
        }

        ServiceId = serviceId;
        EndpointPrefix = endpointPrefix;
        SigningName = signingName;
        DisplayName = displayName;
        Protocol = protocol;
        ApiVersion = apiVersion;
        TargetPrefix = targetPrefix;
        AcceptsBearerToken = acceptsBearerToken;
    }

    /// <summary>botocore's serviceId ("Bedrock Runtime"), the name the SDKs derive configuration names from.</summary>
    public string ServiceId { get; }

    /// <summary>The host's first label: https://&lt;prefix&gt;.&lt;region&gt;.amazonaws.com/.</summary>
    public string EndpointPrefix { get; }

    /// <summary>The service name in the SigV4 credential scope.</summary>
    public string SigningName { get; }

    /// <summary>How messages and Verbose lines name the service.</summary>
    public string DisplayName { get; }

    public AwsProtocol Protocol { get; }

    public string ApiVersion { get; }

    /// <summary>JSON 1.1 only: the X-Amz-Target prefix ("ServiceQuotasV20190624").</summary>
    public string? TargetPrefix { get; }

    /// <summary>Whether the service's metadata "auth" list names smithy.api#httpBearerAuth (Bedrock and Bedrock Runtime;
    /// S3 lists aws.auth#sigv4 only): a bearer token (Bedrock API key) is then sent instead of a SigV4 signature.</summary>
    public bool AcceptsBearerToken { get; }

    /// <summary>AWS_BEARER_TOKEN_&lt;SIGNING NAME&gt;, as botocore names it (utils._get_bearer_env_var_name): the signing
    /// name upper case, '-' and ' ' as '_', so both Bedrock hosts read AWS_BEARER_TOKEN_BEDROCK.</summary>
    public string BearerTokenVariable => "AWS_BEARER_TOKEN_" + SigningName.Replace('-', '_').Replace(' ', '_').ToUpperInvariant();

    /// <summary>AWS_ENDPOINT_URL_&lt;ID&gt;: the service id upper case, spaces as underscores, as the SDKs read it.</summary>
    public string EndpointVariable => "AWS_ENDPOINT_URL_" + ServiceId.ToUpperInvariant().Replace(' ', '_');

    /// <summary>The AWS endpoint of this service in a region (the China partition has its own DNS suffix).</summary>
    public Uri RegionalEndpoint(string region)
    {
        var suffix = region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        return new Uri($"https://{EndpointPrefix}.{region}.{suffix}/");
    }

    public override string ToString() => ServiceId;
}

using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Wire;

public class AwsServiceCatalogueTests
{
    private sealed class Variables : IEnvironment
    {
        private readonly Dictionary<string, string> _values;
        public Variables(Dictionary<string, string> values) => _values = values;
        public string Get(string name) => _values.TryGetValue(name, out var value) ? value : null;
    }

    private static AwsSession Session(Dictionary<string, string> variables, string region = "us-east-1")
        => new(new Amazon.Runtime.BasicAWSCredentials(Kit.AccessKey, Kit.SecretKey), region, "test", "test", null, new Variables(variables));

    [Theory]
    [InlineData("Bedrock", "AWS_ENDPOINT_URL_BEDROCK")]
    [InlineData("Bedrock Runtime", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME")]
    [InlineData("S3", "AWS_ENDPOINT_URL_S3")]
    [InlineData("Service Quotas", "AWS_ENDPOINT_URL_SERVICE_QUOTAS")]
    public void The_endpoint_variable_comes_from_the_service_id_as_the_SDKs_derive_it(string serviceId, string variable)
        => Assert.Equal(variable, new AwsService(serviceId, "x", "x", "X", AwsProtocol.RestJson, "2020-01-01").EndpointVariable);

    [Fact]
    public void The_runtime_has_its_own_host_but_signs_as_bedrock()
    {
        Assert.Equal("bedrock", AwsService.BedrockRuntime.SigningName);
        Assert.Equal(new Uri("https://bedrock-runtime.eu-west-1.amazonaws.com/"), AwsService.BedrockRuntime.RegionalEndpoint("eu-west-1"));
        Assert.Equal(new Uri("https://bedrock.cn-north-1.amazonaws.com.cn/"), AwsService.Bedrock.RegionalEndpoint("cn-north-1"));
    }

    [Fact]
    public void A_new_service_record_is_resolved_like_the_others()
    {
        var quotas = new AwsService("Service Quotas", "servicequotas", "servicequotas", "Service Quotas", AwsProtocol.Json11, "2019-06-24", "ServiceQuotasV20190624");

        Assert.Equal(new Uri("https://servicequotas.us-east-1.amazonaws.com/"), Session(new()).ResolveEndpoint(quotas));
        Assert.False(Session(new()).HasEndpointOverride(quotas));
        var configured = Session(new() { ["AWS_ENDPOINT_URL_SERVICE_QUOTAS"] = "http://127.0.0.1:4566/", ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9/" });
        Assert.Equal(new Uri("http://127.0.0.1:4566/"), configured.ResolveEndpoint(quotas));
        Assert.Equal(new Uri("http://127.0.0.1:9/"), configured.ResolveEndpoint(AwsService.Bedrock));
        Assert.True(configured.HasEndpointOverride(quotas));
    }
}

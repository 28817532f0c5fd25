using BedrockImport.LocalEndpoint.Auth;
using BedrockImport.LocalEndpoint.Bedrock;
using BedrockImport.LocalEndpoint.Hosting;

namespace BedrockImport.LocalEndpoint;

// Bedrock API keys: "Authorization: Bearer <key>" is accepted on the Bedrock and Bedrock Runtime routes only (both are the
// "bedrock" handler), as AWS accepts it on those two hosts only. S3 answers a bearer token the way S3 does.
public sealed partial class LocalEndpointServer
{
    private BedrockApiKeys _apiKeys = null!;

    /// <summary>The Bedrock API key this endpoint accepts (issued at start unless LocalEndpointOptions.BearerToken set one).</summary>
    public string BearerToken => _apiKeys.IssuedKey;

    private static BedrockApiKeys ApiKeysFor(LocalEndpointOptions options)
        => new(string.IsNullOrWhiteSpace(options.BearerToken) ? BedrockApiKeys.NewKey(BedrockIds.AccountId) : options.BearerToken.Trim());

    private static bool IsBearerForBedrock(HttpContext context)
        => BedrockApiKeys.HasBearer(context.Request) && IsBedrockPath(context.Request.Path.Value ?? "/");

    private async Task DispatchBearerAsync(HttpContext context)
    {
        var handler = _registry.Find("bedrock");
        if (handler is null)
        {
            await AwsErrors.WriteJsonErrorAsync(context, 400, "UnrecognizedServiceException",
                "The local endpoint does not serve Bedrock in this configuration.").ConfigureAwait(false);
            return;
        }

        var refusal = _apiKeys.Check(context.Request);
        if (refusal != ApiKeyRefusal.None)
        {
            Context.Stats.AddAuthRefusal();
            // Bedrock's own texts for a bad API key (403 AccessDeniedException, the message member spelled "Message").
            await AwsErrors.WriteJsonErrorAsync(context, 403, "AccessDeniedException", refusal == ApiKeyRefusal.WrongFormat
                    ? "Invalid API Key format: Must start with pre-defined prefix"
                    : "Authentication failed: Please make sure your API Key is valid.", messageMember: "Message")
                .ConfigureAwait(false);
            return;
        }

        await RunHandlerAsync(context, handler, VerifiedRequest.ForBearerToken(Region, handler.SigningService)).ConfigureAwait(false);
    }

    /// <summary>S3 takes SigV4 only: a bearer token is an unsupported authorization type (400 InvalidArgument). S3 echoes
    /// the whole header as ArgumentValue; the endpoint echoes the scheme only, so that no key lands in a client's logs.</summary>
    private Task RefuseBearerAsS3Async(HttpContext context)
    {
        Context.Stats.AddAuthRefusal();
        return AwsErrors.WriteS3ErrorAsync(context, 400, "InvalidArgument", "Unsupported Authorization Type",
            new Dictionary<string, string> { ["ArgumentName"] = "Authorization", ["ArgumentValue"] = "Bearer ****" });
    }
}

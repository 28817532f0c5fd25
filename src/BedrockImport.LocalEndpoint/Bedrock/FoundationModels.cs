namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>A stand-in for one of Bedrock's own models: reachable by Converse and ConverseStream only, answered by
/// TextGenerator from a small fixed answer book (so comparisons run offline and give the same text every time).</summary>
internal sealed record FoundationModel(string ModelId, ResponseBook Book);

/// <summary>The stand-in foundation models and the inference profile the local endpoint registers (README "Converse").</summary>
internal static class FoundationModels
{
    public const string ClaudeSonnet = "anthropic.claude-3-sonnet-20240229-v1:0";
    public const string NovaLite = "amazon.nova-lite-v1:0";
    public const string ClaudeSonnetProfile = "us.anthropic.claude-3-sonnet-20240229-v1:0";

    /// <summary>The real service's answer when an operation is used with a model it does not serve.</summary>
    public const string UnsupportedActionMessage = "This action doesn't support the model that you provided. Try again with a supported text or chat model.";

    private static readonly FoundationModel Claude = new(ClaudeSonnet, ResponseBook.Parse(
        "{\"contains\": \"capital of France\", \"response\": \"The capital of France is Paris.\"}\n" +
        "{\"contains\": \"Who are you\", \"response\": \"I am a stand-in for Claude 3 Sonnet on the BedrockImport local endpoint.\"}\n" +
        "{\"contains\": \"two plus two\", \"response\": \"Two plus two is four.\"}\n"));

    private static readonly FoundationModel Nova = new(NovaLite, ResponseBook.Parse(
        "{\"contains\": \"capital of France\", \"response\": \"Paris is the capital of France.\"}\n" +
        "{\"contains\": \"Who are you\", \"response\": \"I am a stand-in for Amazon Nova Lite on the BedrockImport local endpoint.\"}\n" +
        "{\"contains\": \"two plus two\", \"response\": \"4\"}\n"));

    /// <summary>The model a Converse model id names: a foundation model id or ARN
    /// (arn:aws:bedrock:REGION::foundation-model/ID), or the inference profile's id or ARN
    /// (arn:aws:bedrock:REGION:ACCOUNT:inference-profile/ID), which routes to the Claude stand-in.</summary>
    public static FoundationModel? Find(string modelId, string region)
    {
        var id = modelId;
        var foundationArn = $"arn:aws:bedrock:{region}::foundation-model/";
        var profileArn = $"arn:aws:bedrock:{region}:{BedrockIds.AccountId}:inference-profile/";
        if (id.StartsWith(foundationArn, StringComparison.Ordinal)) id = id.Substring(foundationArn.Length);
        else if (id.StartsWith(profileArn, StringComparison.Ordinal))
        {
            id = id.Substring(profileArn.Length);
            return id == ClaudeSonnetProfile ? Claude : null;
        }
        return id switch
        {
            ClaudeSonnet or ClaudeSonnetProfile => Claude,
            NovaLite => Nova,
            _ => null,
        };
    }
}

using BedrockImport.Engine.Invocation;

namespace BedrockImport.Engine.Tests.Invocation;

public class ModelIdentifierTests
{
    [Theory]
    [InlineData("arn:aws:bedrock:us-east-1:111122223333:imported-model/abc123def456", ModelIdKind.ImportedModelArn)]
    [InlineData("youko", ModelIdKind.ImportedModelName)]
    [InlineData("llama-3_8b-ja", ModelIdKind.ImportedModelName)]
    [InlineData("arn:aws:bedrock:xx", ModelIdKind.ImportedModelName)]
    [InlineData("anthropic.claude-3-sonnet-20240229-v1:0", ModelIdKind.FoundationModel)]
    [InlineData("amazon.nova-lite-v1:0", ModelIdKind.FoundationModel)]
    [InlineData("meta.llama3-8b-instruct-v1:0", ModelIdKind.FoundationModel)]
    [InlineData("anthropic.claude-3-haiku-20240307-v1:0:200k", ModelIdKind.FoundationModel)]
    [InlineData("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-sonnet-20240229-v1:0", ModelIdKind.FoundationModelArn)]
    [InlineData("us.anthropic.claude-3-sonnet-20240229-v1:0", ModelIdKind.InferenceProfile)]
    [InlineData("eu.amazon.nova-lite-v1:0", ModelIdKind.InferenceProfile)]
    [InlineData("apac.anthropic.claude-3-5-sonnet-20240620-v1:0", ModelIdKind.InferenceProfile)]
    [InlineData("global.anthropic.claude-sonnet-4-20250514-v1:0", ModelIdKind.InferenceProfile)]
    [InlineData("arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-3-sonnet-20240229-v1:0", ModelIdKind.InferenceProfileArn)]
    [InlineData("arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a1b2c3d4e5f6", ModelIdKind.InferenceProfileArn)]
    [InlineData("arn:aws:bedrock:us-east-1:111122223333:provisioned-model/a1b2c3d4e5f6", ModelIdKind.OtherModelArn)]
    [InlineData("arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.titan-text-express-v1:0:8k/a1b2c3d4e5f6", ModelIdKind.OtherModelArn)]
    public void Each_kind_of_model_id_is_told_apart(string modelId, ModelIdKind expected)
        => Assert.Equal(expected, ModelIdentifier.Classify(modelId));

    [Theory]
    [InlineData("youko", null, RuntimeApi.InvokeModel)]
    [InlineData("arn:aws:bedrock:us-east-1:111122223333:imported-model/abc123def456", null, RuntimeApi.InvokeModel)]
    [InlineData("youko", RuntimeApi.Converse, RuntimeApi.Converse)]
    [InlineData("anthropic.claude-3-sonnet-20240229-v1:0", null, RuntimeApi.Converse)]
    [InlineData("us.anthropic.claude-3-sonnet-20240229-v1:0", null, RuntimeApi.Converse)]
    [InlineData("arn:aws:bedrock:us-east-1:111122223333:provisioned-model/a1b2c3d4e5f6", null, RuntimeApi.Converse)]
    public void Imported_models_default_to_InvokeModel_and_everything_else_to_Converse(string modelId, RuntimeApi? requested, RuntimeApi expected)
        => Assert.Equal(expected, ModelIdentifier.ResolveApi(modelId, requested));

    [Theory]
    [InlineData("anthropic.claude-3-sonnet-20240229-v1:0")]
    [InlineData("us.anthropic.claude-3-sonnet-20240229-v1:0")]
    [InlineData("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0")]
    [InlineData("arn:aws:bedrock:us-east-1:111122223333:provisioned-model/a1b2c3d4e5f6")]
    public void InvokeModel_for_a_model_that_is_not_imported_is_a_parameter_error_naming_Converse(string modelId)
    {
        var error = Assert.Throws<InvocationValidationException>(() => ModelIdentifier.ResolveApi(modelId, RuntimeApi.InvokeModel));
        Assert.Equal("Api", error.ParamName);
        Assert.Contains("Converse", error.Message);
    }
}

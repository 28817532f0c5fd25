namespace BedrockImport.Engine.Credentials
{
    /// <summary>The AWS services this module calls. Each has its own host prefix and endpoint variable.</summary>
    public enum AwsService
    {
        Bedrock,
        BedrockRuntime,
        S3,
    }
}

using Amazon.S3.Model;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Transfer;

public static class S3Buckets
{
    /// <summary>Creates the bucket unless it exists and is ours. Returns true when it was created now.</summary>
    public static async Task<bool> EnsureAsync(AwsSession session, string bucket, IEngineLog log, CancellationToken cancellationToken)
    {
        using var s3 = new S3Calls(session, new RetryOptions(), log);
        try
        {
            await s3.RunAsync("HeadBucket", "s3://" + bucket, (client, token) => client.HeadBucketAsync(new HeadBucketRequest { BucketName = bucket }, token), cancellationToken)
                .ConfigureAwait(false);
            return false;
        }
        catch (AwsServiceException error) when (error.StatusCode == 404)
        {
        }

        var request = new PutBucketRequest { BucketName = bucket };
        if (session.Region != "us-east-1")
        {
            request.BucketRegionName = session.Region;
        }

        try
        {
            await s3.RunAsync("CreateBucket", "s3://" + bucket, (client, token) => client.PutBucketAsync(request, token), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AwsServiceException error) when (error.ErrorCode == "BucketAlreadyOwnedByYou")
        {
            return false;
        }
    }
}

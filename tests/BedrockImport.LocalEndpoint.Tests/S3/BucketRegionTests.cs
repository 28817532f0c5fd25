using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.LocalEndpoint.Tests.Bedrock;

namespace BedrockImport.LocalEndpoint.Tests;

/// <summary>Buckets in other regions: CreateBucketConfiguration/LocationConstraint, HeadBucket's x-amz-bucket-region,
/// GetBucketLocation, and S3's redirect for a call signed for another region than the bucket's.</summary>
public sealed class BucketRegionTests
{
    private static byte[] Constraint(string region) => Encoding.UTF8.GetBytes(
        $"<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{region}</LocationConstraint></CreateBucketConfiguration>");

    [Fact]
    public async Task A_bucket_created_in_another_region_keeps_it_through_HeadBucket_GetBucketLocation_and_a_restart()
    {
        var data = TestEndpoint.NewDataDirectory();
        try
        {
            await using (var endpoint = await TestEndpoint.StartAsync(dataDirectory: data))
            {
                using var s3 = endpoint.S3();
                await s3.PutBucketAsync(new PutBucketRequest { BucketName = "eu-models", BucketRegionName = "eu-west-1" });
                await s3.PutBucketAsync("local-models");

                var head = await endpoint.SendSignedAsync(HttpMethod.Head, "eu-models");
                Assert.Equal(HttpStatusCode.MovedPermanently, head.StatusCode);
                Assert.Equal("eu-west-1", head.Headers.GetValues("x-amz-bucket-region").Single());
                var local = await endpoint.SendSignedAsync(HttpMethod.Head, "local-models");
                Assert.Equal(HttpStatusCode.OK, local.StatusCode);
                Assert.Equal("us-east-1", local.Headers.GetValues("x-amz-bucket-region").Single());
                Assert.Equal("eu-west-1", (await s3.GetBucketLocationAsync("eu-models")).Location.Value);
                Assert.True(string.IsNullOrEmpty((await s3.GetBucketLocationAsync("local-models")).Location?.Value));
            }

            await using var restarted = await TestEndpoint.StartAsync(dataDirectory: data);
            Assert.Equal("eu-west-1", restarted.Server.Context.S3.BucketRegion("eu-models"));
            Assert.Null(restarted.Server.Context.S3.BucketRegion("local-models"));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task An_object_call_signed_for_the_served_region_on_another_regions_bucket_is_redirected_as_S3_does()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        using var s3 = endpoint.S3();
        Assert.Equal(HttpStatusCode.OK, (await endpoint.SendSignedAsync(HttpMethod.Put, "far-away", Constraint("ap-northeast-1"))).StatusCode);

        var put = await endpoint.SendSignedAsync(HttpMethod.Put, "far-away/config.json", Encoding.UTF8.GetBytes("{}"));
        var body = await put.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.MovedPermanently, put.StatusCode);
        Assert.Contains("<Code>PermanentRedirect</Code>", body);
        Assert.Contains("<Endpoint>far-away.s3.ap-northeast-1.amazonaws.com</Endpoint>", body);
        Assert.Equal("ap-northeast-1", put.Headers.GetValues("x-amz-bucket-region").Single());
        Assert.Empty(endpoint.Server.Context.S3.List("far-away"));
        Assert.Contains((await s3.ListBucketsAsync()).Buckets, b => b.BucketName == "far-away");
    }

    [Theory]
    [InlineData("us-east-1", "InvalidLocationConstraint")]
    [InlineData("Mars-1", "InvalidLocationConstraint")]
    public async Task The_global_endpoint_refuses_a_constraint_S3_refuses(string region, string code)
    {
        await using var endpoint = await TestEndpoint.StartAsync();

        var response = await endpoint.SendSignedAsync(HttpMethod.Put, "refused", Constraint(region));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"<Code>{code}</Code>", await response.Content.ReadAsStringAsync());
        Assert.False(endpoint.Server.Context.S3.BucketExists("refused"));
    }

    [Fact]
    public async Task A_regional_endpoint_accepts_only_its_own_region_as_constraint()
    {
        await using var endpoint = await TestEndpoint.StartAsync(o => o.Region = "eu-central-1");

        var other = await endpoint.SendSignedAsync(HttpMethod.Put, "elsewhere", Constraint("us-west-2"));
        var own = await endpoint.SendSignedAsync(HttpMethod.Put, "here", Constraint("eu-central-1"));

        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        Assert.Contains("<Code>IllegalLocationConstraintException</Code>", await other.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        var head = await endpoint.SendSignedAsync(HttpMethod.Head, "here");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("eu-central-1", head.Headers.GetValues("x-amz-bucket-region").Single());
    }

    [Fact]
    public async Task The_access_denied_knob_answers_403_for_the_named_operations_only()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.S3.AccessDeniedOperations.Add("HeadBucket"));
        using var s3 = endpoint.Endpoint.S3();
        await s3.PutBucketAsync("guarded");

        var head = await endpoint.Endpoint.SendSignedAsync(HttpMethod.Head, "guarded");
        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "guarded" });

        Assert.Equal(HttpStatusCode.Forbidden, head.StatusCode);
        Assert.Empty(list.S3Objects ?? new List<S3Object>());
        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetBucketLocationAsync("guarded-missing"));
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
    }
}

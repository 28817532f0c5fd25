using BedrockImport.Engine.Transfer;

namespace BedrockImport.Engine.Tests.Transfer;

public class S3UriTests
{
    [Theory]
    [InlineData("s3://my-bucket/prefix/", "my-bucket", "prefix/", "prefix/")]
    [InlineData("s3://my-bucket/a/b", "my-bucket", "a/b", "a/b/")]
    [InlineData("s3://my-bucket", "my-bucket", "", "")]
    [InlineData("s3://my-bucket/", "my-bucket", "", "")]
    [InlineData("S3://my.bucket.1/models/llama 3/", "my.bucket.1", "models/llama 3/", "models/llama 3/")]
    public void Parses_bucket_and_key(string text, string bucket, string key, string folder)
    {
        var uri = S3Uri.Parse(text);
        Assert.Equal(bucket, uri.Bucket);
        Assert.Equal(key, uri.Key);
        Assert.Equal(folder, uri.FolderPrefix);
        Assert.True(S3Uri.TryParse(text, out var again));
        Assert.Equal(uri, again);
    }

    [Fact]
    public void Append_treats_the_key_as_a_folder()
    {
        Assert.Equal("s3://b-1/models/llama/config.json", S3Uri.Parse("s3://b-1/models/llama").Append("config.json").ToString());
        Assert.Equal("s3://b-1/models/x/y.bin", S3Uri.Parse("s3://b-1/models/").Append("x/y.bin").ToString());
        Assert.Equal("s3://b-1/y.bin", S3Uri.Parse("s3://b-1").Append("y.bin").ToString());
    }

    [Theory]
    [InlineData("", S3UriProblem.Empty)]
    [InlineData("   ", S3UriProblem.Empty)]
    [InlineData(" s3://bucket/x", S3UriProblem.Whitespace)]
    [InlineData("my-bucket/prefix/", S3UriProblem.MissingScheme)]
    [InlineData("https://my-bucket.s3.amazonaws.com/x", S3UriProblem.WrongScheme)]
    [InlineData("s3:/my-bucket/x", S3UriProblem.MissingSlashes)]
    [InlineData("s3:my-bucket", S3UriProblem.MissingSlashes)]
    [InlineData("s3://", S3UriProblem.EmptyBucket)]
    [InlineData("s3:///prefix/", S3UriProblem.EmptyBucket)]
    [InlineData("s3://ab/x", S3UriProblem.BucketLength)]
    [InlineData("s3://My-Bucket/x", S3UriProblem.BucketUppercase)]
    [InlineData("s3://my bucket/x", S3UriProblem.BucketCharacters)]
    [InlineData("s3://my_bucket/x", S3UriProblem.BucketCharacters)]
    [InlineData("s3://-bucket/x", S3UriProblem.BucketStartOrEnd)]
    [InlineData("s3://bucket./x", S3UriProblem.BucketStartOrEnd)]
    [InlineData("s3://my..bucket/x", S3UriProblem.BucketAdjacentPeriods)]
    [InlineData("s3://192.168.5.4/x", S3UriProblem.BucketIpAddress)]
    [InlineData("s3://xn--bucket/x", S3UriProblem.BucketReservedName)]
    [InlineData("s3://bucket-s3alias/x", S3UriProblem.BucketReservedName)]
    public void Rejects_malformed_uris_with_a_specific_problem(string text, S3UriProblem problem)
    {
        var error = Assert.Throws<S3UriFormatException>(() => S3Uri.Parse(text));
        Assert.Equal(problem, error.Problem);
        Assert.False(S3Uri.TryParse(text, out var uri));
        Assert.Null(uri);
    }

    [Fact]
    public void Error_messages_name_the_input_and_the_rule()
    {
        Assert.Contains("'My-Bucket'", Assert.Throws<S3UriFormatException>(() => S3Uri.Parse("s3://My-Bucket/x")).Message);
        Assert.Contains("lower case", Assert.Throws<S3UriFormatException>(() => S3Uri.Parse("s3://My-Bucket/x")).Message);
        Assert.Contains("s3://bucket/prefix/", Assert.Throws<S3UriFormatException>(() => S3Uri.Parse("bucket/prefix/")).Message);
        Assert.Contains("two slashes", Assert.Throws<S3UriFormatException>(() => S3Uri.Parse("s3:/x")).Message);
        Assert.Contains("a space", Assert.Throws<S3UriFormatException>(() => S3Uri.Parse("s3://my bucket/")).Message);
    }

    [Fact]
    public void Rejects_keys_longer_than_1024_bytes()
    {
        var error = Assert.Throws<S3UriFormatException>(() => S3Uri.Parse("s3://bucket/" + new string('é', 513)));
        Assert.Equal(S3UriProblem.KeyTooLong, error.Problem);
    }
}

using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Wire;

public class AwsWireTests
{
    [Theory]
    [InlineData("abc-._~XYZ09", "abc-._~XYZ09")]
    [InlineData("a:b/c", "a%3Ab%2Fc")]
    [InlineData("my model+1", "my%20model%2B1")]
    [InlineData("é", "%C3%A9")]
    [InlineData("50%", "50%25")]
    public void Encode_LeavesOnlyUnreservedCharacters(string raw, string encoded)
        => Assert.Equal(encoded, AwsWire.Encode(raw));

    [Fact]
    public void FormatTimestamp_WritesUtcSecondsWithZ()
    {
        Assert.Equal("2026-03-04T05:06:07Z", AwsWire.FormatTimestamp(new DateTime(2026, 3, 4, 5, 6, 7, 890, DateTimeKind.Utc)));
        var local = new DateTime(2026, 3, 4, 5, 6, 7, DateTimeKind.Local);
        Assert.Equal(local.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), AwsWire.FormatTimestamp(local));
    }

    [Fact]
    public void BuildUri_KeepsEndpointPathPrefixAndEncodedLabels()
    {
        var uri = AwsWire.BuildUri(new Uri("http://127.0.0.1:9000/proxy/"), "/model/a%3Ab%2Fc/invoke",
            new[] { new KeyValuePair<string, string>("nextToken", "a b/c") });

        Assert.Equal("http://127.0.0.1:9000/proxy/model/a%3Ab%2Fc/invoke?nextToken=a%20b%2Fc", uri.AbsoluteUri);
    }
}

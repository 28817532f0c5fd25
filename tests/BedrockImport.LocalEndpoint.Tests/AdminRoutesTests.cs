using System.Net;
using System.Text.Json;

namespace BedrockImport.LocalEndpoint.Tests;

// Which unsigned requests the admin API answers, and how it answers the ones it has no route for.
public sealed class AdminRoutesTests
{
    [Theory]
    [InlineData("GET", "/_admin/health", 200)]
    [InlineData("GET", "/_admin/health/", 200)]
    [InlineData("GET", "/_admin/knobs", 200)]
    [InlineData("GET", "/_admin/stats", 200)]
    [InlineData("DELETE", "/_admin/stats", 204)]
    [InlineData("GET", "/_admin/s3/multipart-uploads", 200)]
    [InlineData("GET", "/_admin", 404)]
    [InlineData("GET", "/_admin/", 404)]
    [InlineData("POST", "/_admin/health", 404)]
    [InlineData("HEAD", "/_admin/health", 404)]
    [InlineData("DELETE", "/_admin/knobs", 404)]
    [InlineData("PUT", "/_admin/stats", 404)]
    [InlineData("GET", "/_admin/nothing/here", 404)]
    public async Task Routes_AnswerTheirMethods_AndEverythingElseUnderAdminListsTheRoutes(string method, string path, int status)
    {
        await using var endpoint = await TestEndpoint.StartAsync();

        using var response = await endpoint.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(status, (int)response.StatusCode);
        if (status == 404 && method != "HEAD")
        {
            var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString();
            Assert.StartsWith($"Unknown admin route {method} {path.TrimEnd('/')}. Routes: GET /_admin/health,", message);
        }
    }

    [Fact]
    public async Task APathThatOnlyStartsLikeAdmin_IsNotAnAdminRoute()
    {
        await using var endpoint = await TestEndpoint.StartAsync();

        using var response = await endpoint.Http.GetAsync("/_adminx/health");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no unsigned route", await response.Content.ReadAsStringAsync());
    }
}

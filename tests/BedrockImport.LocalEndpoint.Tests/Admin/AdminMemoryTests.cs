using System.Text.Json;

namespace BedrockImport.LocalEndpoint.Tests;

// GET /_admin/memory, which the soak (bench/Soak) reads to tell a leak from the GC's warm-up.
public sealed class AdminMemoryTests
{
    [Fact]
    public async Task Memory_ReportsTheHeapAndTheWorkingSet_WithoutCollecting()
    {
        await using var endpoint = await TestEndpoint.StartAsync();

        var memory = await GetAsync(endpoint, "/_admin/memory");

        Assert.False(memory.GetProperty("collected").GetBoolean());
        Assert.True(memory.GetProperty("liveHeapBytes").GetInt64() > 0);
        Assert.True(memory.GetProperty("workingSetBytes").GetInt64() > 0);
        Assert.True(memory.TryGetProperty("lastGcHeapSizeBytes", out _));
        Assert.True(memory.GetProperty("totalAllocatedBytes").GetInt64() > 0);
    }

    [Fact]
    public async Task MemoryWithCollect_RunsAFullCollectionFirst()
    {
        await using var endpoint = await TestEndpoint.StartAsync();
        var before = await GetAsync(endpoint, "/_admin/memory");

        var after = await GetAsync(endpoint, "/_admin/memory?collect=true");

        Assert.True(after.GetProperty("collected").GetBoolean());
        Assert.True(after.GetProperty("gen2Collections").GetInt32() >= before.GetProperty("gen2Collections").GetInt32() + 2);
        Assert.True(after.GetProperty("lastGcHeapSizeBytes").GetInt64() > 0);
    }

    private static async Task<JsonElement> GetAsync(TestEndpoint endpoint, string path)
    {
        using var response = await endpoint.Http.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}

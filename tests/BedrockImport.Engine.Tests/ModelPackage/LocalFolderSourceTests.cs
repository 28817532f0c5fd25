using BedrockImport.Engine.ModelPackage;

namespace BedrockImport.Engine.Tests.ModelPackage;

public class LocalFolderSourceTests
{
    [Fact]
    public async Task Lists_files_recursively_with_forward_slashes_and_reads_ranges()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Sub("sub"));
        File.WriteAllText(temp.Sub("a.txt"), "0123456789");
        File.WriteAllText(Path.Combine(temp.Sub("sub"), "b.txt"), "xy");
        var source = new LocalFolderSource(temp.Path);

        var files = await source.ListFilesAsync(CancellationToken.None);
        Assert.Equal(new[] { ("a.txt", 10L), ("sub/b.txt", 2L) }, files.Select(f => (f.Path, f.Length)));

        using var range = await source.OpenRangeAsync("a.txt", 3, 4, CancellationToken.None);
        using var reader = new StreamReader(range);
        Assert.Equal("3456", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Refuses_paths_outside_the_folder()
    {
        using var temp = new TempFolder();
        var source = new LocalFolderSource(temp.Sub("model"));
        Directory.CreateDirectory(temp.Sub("model"));
        File.WriteAllText(temp.Sub("secret.txt"), "x");
        await Assert.ThrowsAsync<ArgumentException>(() => source.OpenRangeAsync("../secret.txt", 0, 1, CancellationToken.None));
    }
}

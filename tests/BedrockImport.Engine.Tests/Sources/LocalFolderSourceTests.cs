using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Tests.ModelPackage;

namespace BedrockImport.Engine.Tests.Sources;

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
        Assert.True(source.IsLocal);

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

    [Fact]
    public async Task Lists_hidden_files_too_and_IsVisible_leaves_them_out()
    {
        using var temp = new TempFolder();
        void Write(string relative, int size)
        {
            var path = Path.Combine(temp.Path, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, new byte[size]);
        }

        Write("config.json", 10);
        Write("model-00001-of-00002.safetensors", 20);
        Write("sub/dir/tokenizer.json", 30);
        Write(".gitattributes", 1);
        Write(".git/HEAD", 1);
        Write(".cache/huggingface/download/x.lock", 1);
        Write("sub/.hidden", 1);

        var files = await new LocalFolderSource(temp.Path).ListFilesAsync(CancellationToken.None);

        Assert.Equal(new[] { ".cache/huggingface/download/x.lock", ".git/HEAD", ".gitattributes", "config.json", "model-00001-of-00002.safetensors", "sub/.hidden", "sub/dir/tokenizer.json" },
            files.Select(f => f.Path));
        var visible = files.Where(f => ModelSourceFile.IsVisible(f.Path)).ToList();
        Assert.Equal(new[] { "config.json", "model-00001-of-00002.safetensors", "sub/dir/tokenizer.json" }, visible.Select(f => f.Path));
        Assert.Equal(new long[] { 10, 20, 30 }, visible.Select(f => f.Length));
        Assert.All(files, f => Assert.True(File.Exists(Path.Combine(temp.Path, f.Path))));
        Assert.All(files, f => Assert.Empty(f.Metadata));
    }

    [Fact]
    public async Task A_missing_folder_is_an_error()
    {
        using var temp = new TempFolder();
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => new LocalFolderSource(temp.Sub("nope")).ListFilesAsync(CancellationToken.None));
    }
}

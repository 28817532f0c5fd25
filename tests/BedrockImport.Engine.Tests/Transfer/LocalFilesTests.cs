using BedrockImport.Engine.Transfer;

namespace BedrockImport.Engine.Tests.Transfer
{
    public class LocalFilesTests : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "bi-localfiles-" + Guid.NewGuid().ToString("N"));

        public LocalFilesTests()
        {
            Write("config.json", 10);
            Write("model-00001-of-00002.safetensors", 20);
            Write("sub/dir/tokenizer.json", 30);
            Write(".gitattributes", 1);
            Write(".git/HEAD", 1);
            Write(".cache/huggingface/download/x.lock", 1);
            Write("sub/.hidden", 1);
        }

        private void Write(string relative, int size)
        {
            var path = Path.Combine(_root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, new byte[size]);
        }

        [Fact]
        public void Lists_regular_files_recursively_with_slash_paths_and_skips_hidden_ones()
        {
            var files = LocalFiles.Enumerate(_root);
            Assert.Equal(new[] { "config.json", "model-00001-of-00002.safetensors", "sub/dir/tokenizer.json" }, files.Select(f => f.RelativePath));
            Assert.Equal(new long[] { 10, 20, 30 }, files.Select(f => f.Size));
            Assert.All(files, f => Assert.True(File.Exists(f.FullPath)));
        }

        [Fact]
        public void A_custom_filter_replaces_the_default()
        {
            var files = LocalFiles.Enumerate(_root, path => path.EndsWith(".json", StringComparison.Ordinal) || path == ".gitattributes");
            Assert.Equal(new[] { ".gitattributes", "config.json", "sub/dir/tokenizer.json" }, files.Select(f => f.RelativePath));
        }

        [Fact]
        public void A_missing_folder_is_an_error()
        {
            Assert.Throws<DirectoryNotFoundException>(() => LocalFiles.Enumerate(Path.Combine(_root, "nope")));
        }

        public void Dispose()
        {
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
        }
    }
}

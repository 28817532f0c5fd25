using BedrockImport.Engine.Sources;

namespace BedrockImport.Engine.Tests.Sources;

public class ImportFileSelectionTests
{
    [Theory]
    [InlineData("model-00001-of-00004.safetensors")]
    [InlineData("model.safetensors")]
    [InlineData("model.safetensors.index.json")]
    [InlineData("config.json")]
    [InlineData("generation_config.json")]
    [InlineData("tokenizer.json")]
    [InlineData("tokenizer_config.json")]
    [InlineData("tokenizer.model")]
    [InlineData("special_tokens_map.json")]
    [InlineData("chat_template.jinja")]
    public void TakesWhatAnImportReads(string path) => Assert.True(ImportFileSelection.IsNeededForImport(path));

    [Theory]
    [InlineData("original/consolidated.00.pth")]
    [InlineData("original/params.json")]
    [InlineData("pytorch_model-00001-of-00002.bin")]
    [InlineData("README.md")]
    [InlineData("onnx/model.onnx")]
    [InlineData("gguf/model.safetensors")]
    [InlineData("model.safetensors.bak")]
    [InlineData("Config.json")]
    public void LeavesTheRestOnTheHub(string path) => Assert.False(ImportFileSelection.IsNeededForImport(path));

    [Fact]
    public void IncludeWidensExcludeWinsAndHiddenFilesStayOut()
    {
        var select = ImportFileSelection.Build(ImportFileSelection.IsNeededForImport,
            include: path => path.StartsWith("original/", StringComparison.Ordinal) || path == ".gitattributes",
            exclude: path => path.EndsWith(".jinja", StringComparison.Ordinal) || path == "original/params.json");

        Assert.True(select("config.json"));
        Assert.True(select("original/consolidated.00.pth"));
        Assert.False(select("original/params.json"));
        Assert.False(select("chat_template.jinja"));
        Assert.False(select("README.md"));
        Assert.False(select(".gitattributes"));
    }

    [Fact]
    public void WithoutPatternsTheDefaultDecides()
    {
        var select = ImportFileSelection.Build(ModelSourceFile.IsVisible, null, null);
        Assert.True(select("README.md"));
        Assert.True(select("original/consolidated.00.pth"));
        Assert.False(select(".git/config"));
    }
}

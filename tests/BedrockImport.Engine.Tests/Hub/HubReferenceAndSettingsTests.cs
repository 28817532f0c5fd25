using BedrockImport.Engine.Hub;
using BedrockImport.Engine.Tests.Credentials;

namespace BedrockImport.Engine.Tests.Hub;

public sealed class HubReferenceAndSettingsTests
{
    [Theory]
    [InlineData("rinna/llama-3-youko-8b", "rinna/llama-3-youko-8b", null)]
    [InlineData("  meta-llama/Meta-Llama-3-8B  ", "meta-llama/Meta-Llama-3-8B", null)]
    [InlineData("org_1/name.v2_final", "org_1/name.v2_final", null)]
    [InlineData("https://huggingface.co/rinna/llama-3-youko-8b", "rinna/llama-3-youko-8b", null)]
    [InlineData("https://huggingface.co/rinna/llama-3-youko-8b/", "rinna/llama-3-youko-8b", null)]
    [InlineData("https://huggingface.co/rinna/llama-3-youko-8b/tree/main", "rinna/llama-3-youko-8b", "main")]
    [InlineData("https://huggingface.co/rinna/llama-3-youko-8b/tree/67cde2a5d1e0f3b4c5a6978812345678abcdef01", "rinna/llama-3-youko-8b", "67cde2a5d1e0f3b4c5a6978812345678abcdef01")]
    [InlineData("https://huggingface.co/org/name/tree/refs%2Fpr%2F3", "org/name", "refs/pr/3")]
    [InlineData("https://huggingface.co/org/name/blob/v1.0/config.json", "org/name", "v1.0")]
    [InlineData("https://hf.co/org/name/resolve/main/model.safetensors", "org/name", "main")]
    [InlineData("http://www.huggingface.co/org/name?library=transformers", "org/name", null)]
    public void Parse_AcceptsIdsAndHubUrls(string text, string repoId, string revision)
    {
        var reference = HubModelReference.Parse(text);

        Assert.Equal(repoId, reference.RepoId);
        Assert.Equal(revision, reference.Revision);
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("gpt2", "expected 'org/name'")]
    [InlineData("a/b/c", "expected 'org/name'")]
    [InlineData("org/na me", "only letters")]
    [InlineData("org/-name", "start and end")]
    [InlineData("org/name.", "start and end")]
    [InlineData("org/na--me", "'--'")]
    [InlineData("org/na..me", "'..'")]
    [InlineData("org/name.git", ".git")]
    [InlineData("https://github.com/org/name", "not a Hugging Face Hub URL")]
    [InlineData("https://huggingface.co/datasets/org/name", "dataset, not a model")]
    [InlineData("https://huggingface.co/org", "does not name a model repository")]
    [InlineData("https://huggingface.co/org/name/tree", "no revision")]
    [InlineData("https://huggingface.co/org/name/discussions/3", "not understood")]
    public void Parse_RejectsWhatIsNotAModelRepository_SayingWhy(string text, string reason)
    {
        var error = Assert.Throws<HubModelReferenceFormatException>(() => HubModelReference.Parse(text));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Parse_AcceptsUrlsOfTheConfiguredEndpoint_ButNotOfOtherHosts()
    {
        var mirror = new Uri("http://127.0.0.1:8123/");

        Assert.Equal("org/name", HubModelReference.Parse("http://127.0.0.1:8123/org/name/tree/main", mirror).RepoId);
        Assert.Throws<HubModelReferenceFormatException>(() => HubModelReference.Parse("http://127.0.0.1:9999/org/name", mirror));
        Assert.Throws<HubModelReferenceFormatException>(() => HubModelReference.Parse("http://127.0.0.1:8123/org/name"));
    }

    [Fact]
    public void Endpoint_ComesFromTheOption_ThenHfEndpoint_ThenHuggingFaceCo()
    {
        var environment = new FakeEnvironment().Set("HF_ENDPOINT", "https://hf-mirror.example.com/base");

        Assert.Equal("https://mirror.test/", HubSettings.ResolveEndpoint(new Uri("https://mirror.test"), environment).AbsoluteUri);
        Assert.Equal("https://hf-mirror.example.com/base/", HubSettings.ResolveEndpoint(null, environment).AbsoluteUri);
        Assert.Equal("https://huggingface.co/", HubSettings.ResolveEndpoint(null, new FakeEnvironment()).AbsoluteUri);
        Assert.Throws<ArgumentException>(() => HubSettings.ResolveEndpoint(null, new FakeEnvironment().Set("HF_ENDPOINT", "ftp://x")));
    }

    [Fact]
    public void Token_LookupOrder_OptionThenHfTokenThenLegacyThenTokenFile()
    {
        using var home = new TempDirectory();
        File.WriteAllText(Path.Combine(home.Path, "token-file"), "hf_fromfile\n");
        var environment = new FakeEnvironment()
            .Set("HF_TOKEN", "hf_fromenv")
            .Set("HUGGING_FACE_HUB_TOKEN", "hf_legacy")
            .Set("HF_TOKEN_PATH", Path.Combine(home.Path, "token-file"));

        Assert.Equal(("hf_option", "the Token option"), HubSettings.ResolveToken("hf_option", environment));
        Assert.Equal(("hf_fromenv", "HF_TOKEN"), HubSettings.ResolveToken(null, environment));
        environment.Remove("HF_TOKEN");
        Assert.Equal(("hf_legacy", "HUGGING_FACE_HUB_TOKEN"), HubSettings.ResolveToken(null, environment));
        environment.Remove("HUGGING_FACE_HUB_TOKEN");
        var fromFile = HubSettings.ResolveToken(null, environment);
        Assert.Equal("hf_fromfile", fromFile.Token);
        Assert.Contains("token-file", fromFile.Source);
        Assert.DoesNotContain("hf_fromfile", fromFile.Source);
    }

    [Fact]
    public void TokenFile_DefaultsToHfHomeToken_ThenXdgCache_ThenHomeCache()
    {
        using var home = new TempDirectory();
        var hfHome = Path.Combine(home.Path, "hf");
        Directory.CreateDirectory(hfHome);
        File.WriteAllText(Path.Combine(hfHome, "token"), "hf_hfhome");
        Directory.CreateDirectory(Path.Combine(home.Path, ".cache", "huggingface"));
        File.WriteAllText(Path.Combine(home.Path, ".cache", "huggingface", "token"), "hf_homecache");

        Assert.Equal("hf_hfhome", HubSettings.ResolveToken(null, new FakeEnvironment().Set("HF_HOME", hfHome)).Token);
        Assert.Equal("hf_homecache", HubSettings.ResolveToken(null, new FakeEnvironment().Set("HOME", home.Path)).Token);
        Assert.Equal(Path.Combine(home.Path, "xdg", "huggingface", "token"),
            HubSettings.TokenFilePath(new FakeEnvironment().Set("HOME", home.Path).Set("XDG_CACHE_HOME", Path.Combine(home.Path, "xdg"))));
        Assert.Equal(Path.Combine(home.Path, "h2", "token"), HubSettings.TokenFilePath(new FakeEnvironment().Set("HOME", home.Path).Set("HF_HOME", "~/h2")));
        Assert.Equal((null, "none"), HubSettings.ResolveToken(null, new FakeEnvironment().Set("HOME", Path.Combine(home.Path, "nothing-here"))));
    }

    [Theory]
    [InlineData("1", false)]
    [InlineData("true", false)]
    [InlineData("YES", false)]
    [InlineData("0", true)]
    [InlineData("false", true)]
    public void DisableImplicitToken_SuppressesEnvironmentTokens_ButNotAnExplicitOne(string value, bool implicitUsed)
    {
        var environment = new FakeEnvironment().Set("HF_TOKEN", "hf_env").Set("HF_HUB_DISABLE_IMPLICIT_TOKEN", value);

        Assert.Equal(implicitUsed ? "hf_env" : null, HubSettings.ResolveToken(null, environment).Token);
        Assert.Equal("hf_explicit", HubSettings.ResolveToken("hf_explicit", environment).Token);
    }

    private sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bi-hub-settings", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}

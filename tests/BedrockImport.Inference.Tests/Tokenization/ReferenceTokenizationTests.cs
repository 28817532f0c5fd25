using System.Text.Json;
using BedrockImport.Inference.Tests.Model;
using BedrockImport.Inference.Tokenization;
using RustTokenizer = Tokenizers.DotNet.Tokenizer;

namespace BedrockImport.Inference.Tests.Tokenization;

/// <summary>
/// Ties the committed references to the tokenizers: the Rust tokenizers (the oracle) and ours encode each reference's
/// text prompt to its prompt ids and decode its greedy ids to the same text. The references' ids were made without the
/// Rust tokenizers (make_references.py has its own ASCII BPE encoder; the fixtures come from transformers), so this is
/// what lets a test send the reference's text and expect the reference's ids (ArchitectureProof.Tests.ps1 does).
/// </summary>
public class ReferenceTokenizationTests
{
    /// <summary>One reference prompt: the model folder, the text sent, the ids it must encode to (with the
    /// post-processor's special tokens, as the endpoint encodes prompts), the greedy ids and the reference's own
    /// decoding of them.</summary>
    public sealed record ReferencePrompt(string Folder, string Text, int[] PromptIds, int[] GreedyIds, string ReferenceText);

    private static int[] Ids(JsonElement element) => element.EnumerateArray().Select(id => id.GetInt32()).ToArray();

    private static uint[] Unsigned(IEnumerable<int> ids) => ids.Select(id => (uint)id).ToArray();

    private static readonly Lazy<Dictionary<string, ReferencePrompt>> Prompts = new(Load);

    private static Dictionary<string, ReferencePrompt> Load()
    {
        var prompts = new Dictionary<string, ReferencePrompt>(StringComparer.Ordinal);
        using (var references = JsonDocument.Parse(File.ReadAllText(ReferenceTests.ReferencesPath("references.json"))))
        {
            foreach (var model in references.RootElement.GetProperty("models").EnumerateObject())
            {
                var folder = ReferenceTests.ReferencesPath(model.Name);
                foreach (var (key, reference) in new[] { (model.Name, model.Value), (model.Name + "/chat", model.Value.GetProperty("chat")) })
                {
                    // The chat reference's prompt is the rendered conversation, the text the tokenizer sees.
                    var text = reference.GetProperty(reference.TryGetProperty("rendered", out _) ? "rendered" : "prompt").GetString()!;
                    prompts[key] = new ReferencePrompt(folder, text, Ids(reference.GetProperty("prompt_ids")), Ids(reference.GetProperty("greedy_ids")),
                        reference.GetProperty("text").GetString()!);
                }
            }
        }
        using (var fixtures = JsonDocument.Parse(File.ReadAllText(FixtureTests.FixturePath("reference.json"))))
        {
            foreach (var model in fixtures.RootElement.GetProperty("models").EnumerateObject())
            {
                var greedy = model.Value.GetProperty("greedy");
                prompts["transformers-" + model.Name] = new ReferencePrompt(FixtureTests.FixturePath(model.Name), greedy.GetProperty("prompt").GetString()!,
                    Ids(greedy.GetProperty("input_ids")), Ids(greedy.GetProperty("output_ids")), greedy.GetProperty("text").GetString()!);
            }
        }
        return prompts;
    }

    public static TheoryData<string> Keys()
    {
        var data = new TheoryData<string>();
        foreach (var key in Prompts.Value.Keys.Order(StringComparer.Ordinal)) data.Add(key);
        return data;
    }

    [Fact]
    public void Every_reference_model_and_both_fixtures_are_covered()
    {
        // 7 models × (text prompt, chat prompt) + 2 fixtures: a reference added later is picked up, none is dropped.
        Assert.Equal(16, Prompts.Value.Count);
        Assert.All(Prompts.Value.Values, prompt => Assert.NotEmpty(prompt.GreedyIds));
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void The_rust_tokenizers_encode_the_reference_prompt_to_its_prompt_ids(string key)
    {
        var prompt = Prompts.Value[key];
        var oracle = new RustTokenizer(vocabPath: Path.Combine(prompt.Folder, "tokenizer.json"));

        Assert.Equal(Unsigned(prompt.PromptIds), oracle.Encode(prompt.Text));
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void Our_tokenizer_encodes_the_reference_prompt_to_its_prompt_ids(string key)
    {
        var prompt = Prompts.Value[key];
        var tokenizer = ModelTokenizer.Load(prompt.Folder);

        Assert.Equal(prompt.PromptIds, tokenizer.Encode(prompt.Text, addSpecialTokens: true));
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void The_greedy_ids_decode_to_the_same_text_in_rust_ours_and_the_reference(string key)
    {
        var prompt = Prompts.Value[key];
        var oracle = new RustTokenizer(vocabPath: Path.Combine(prompt.Folder, "tokenizer.json"));
        var tokenizer = ModelTokenizer.Load(prompt.Folder);

        // The Rust tokenizers drop special tokens when decoding, as a Bedrock answer does.
        var decoded = tokenizer.Decode(prompt.GreedyIds, skipSpecialTokens: true);
        Assert.Equal(oracle.Decode(Unsigned(prompt.GreedyIds)), decoded);
        // The reference's own text (make_references.py's decoder; transformers' decode, which kept special tokens).
        Assert.Equal(prompt.ReferenceText, tokenizer.Decode(prompt.GreedyIds, skipSpecialTokens: false));
        Assert.NotEmpty(decoded);
    }
}

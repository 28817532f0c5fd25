using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Engine.Invocation;

namespace BedrockImport.Engine.Tests.Invocation;

/// <summary>The engine's renderings of Llama 3.1- and Qwen 2.5-style templates with tools, byte for byte against the
/// references jinja2 made in transformers' environment (ToolTemplates/render_references.py writes the .expected.txt
/// files; the templates are the ones of ChatTemplateFixtures, kept as files so Python can read them).</summary>
public class ToolTemplateReferenceTests
{
    private static string Folder([CallerFilePath] string path = "") => Path.Combine(Path.GetDirectoryName(path)!, "ToolTemplates");

    private static JsonElement Spec() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder(), "cases.json"))).RootElement;

    public static IEnumerable<object[]> Cases() => Spec().GetProperty("cases").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString() });

    /// <summary>The OpenAI-shaped tools of cases.json, handed over in another accepted shape each time, so that every
    /// shape is shown to reach the template as transformers would pass the OpenAI one.</summary>
    private static IReadOnlyList<ToolDefinition> Tools(string shape)
    {
        var tools = Spec().GetProperty("tools").EnumerateArray().ToList();
        return tools.Select(t =>
        {
            var function = JsonNode.Parse(t.GetProperty("function").GetRawText())!.AsObject();
            object input = shape switch
            {
                "openai-json" => t.GetRawText(),
                "converse" => new JsonObject
                {
                    ["toolSpec"] = new JsonObject
                    {
                        ["name"] = function["name"]!.DeepClone(),
                        ["description"] = function["description"]?.DeepClone(),
                        ["inputSchema"] = new JsonObject { ["json"] = function["parameters"]!.DeepClone() },
                    },
                },
                _ => function,
            };
            return ToolDefinition.From(input);
        }).ToList();
    }

    private static (InvocationRequest Request, bool AddGenerationPrompt, string Expected) Load(string name, string shape)
    {
        var spec = Spec().GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var template = File.ReadAllText(Path.Combine(Folder(), spec.GetProperty("template").GetString()), Encoding.UTF8);
        var bos = spec.GetProperty("bos_token").GetString();
        var eos = spec.GetProperty("eos_token").GetString();
        var variables = new Dictionary<string, object>();
        if (spec.TryGetProperty("variables", out var given))
            foreach (var v in given.EnumerateObject())
                variables[v.Name] = v.Value.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => v.Value.GetString() };
        var request = new InvocationRequest
        {
            Messages = spec.GetProperty("messages").EnumerateArray()
                .Select(m => new ChatMessage(m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList(),
            ChatTemplate = ChatTemplate.Parse(template, bos, eos),
            Tools = spec.TryGetProperty("no_tools", out _) ? null : Tools(shape),
            TemplateVariables = variables,
            KeepBosToken = true,
        };
        var expected = File.ReadAllText(Path.Combine(Folder(), name + ".expected.txt"), Encoding.UTF8);
        return (request, spec.GetProperty("add_generation_prompt").GetBoolean(), expected);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_engine_renders_tools_exactly_as_transformers_does(string name)
    {
        foreach (var shape in new[] { "openai-json", "converse", "bare" })
        {
            var (request, addGenerationPrompt, expected) = Load(name, shape);
            var rendered = InvocationRequestBuilder.RenderPrompt(request, addGenerationPrompt);
            Assert.Equal(expected, rendered.Prompt);
            Assert.Null(rendered.DroppedBosToken);
        }
    }

    [Fact]
    public void What_Build_sends_is_the_reference_without_the_leading_bos_token()
    {
        var (request, _, expected) = Load("llama31-tools-in-user-message", "bare");
        request.KeepBosToken = false;
        var rendered = InvocationRequestBuilder.RenderPrompt(request);
        Assert.Equal("<|begin_of_text|>", rendered.DroppedBosToken);
        Assert.Equal(expected.Substring("<|begin_of_text|>".Length), rendered.Prompt);

        var prepared = InvocationRequestBuilder.Build(request);
        using var body = JsonDocument.Parse(prepared.Body);
        Assert.Equal(rendered.Prompt, body.RootElement.GetProperty("prompt").GetString());
        Assert.False(body.RootElement.TryGetProperty("tools", out _), "a completion body carries tools only inside the prompt");
    }
}

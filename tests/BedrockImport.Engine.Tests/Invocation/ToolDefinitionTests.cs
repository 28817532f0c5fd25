using System.Collections;
using System.Collections.Specialized;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Json;

namespace BedrockImport.Engine.Tests.Invocation;

public class ToolDefinitionTests
{
    private static Hashtable Schema() => new()
    {
        ["type"] = "object",
        ["properties"] = new Hashtable { ["city"] = new Hashtable { ["type"] = "string" } },
        ["required"] = new object[] { "city" },
    };

    public static IEnumerable<object[]> Shapes()
    {
        yield return new object[] { new Hashtable { ["name"] = "get_weather", ["description"] = "Weather", ["parameters"] = Schema() } };
        yield return new object[] { new Hashtable { ["type"] = "function", ["function"] = new Hashtable { ["name"] = "get_weather", ["description"] = "Weather", ["parameters"] = Schema() } } };
        yield return new object[] { new Hashtable { ["toolSpec"] = new Hashtable { ["name"] = "get_weather", ["description"] = "Weather", ["inputSchema"] = new Hashtable { ["json"] = Schema() } } } };
        yield return new object[] { new Hashtable { ["name"] = "get_weather", ["description"] = "Weather", ["inputSchema"] = new Hashtable { ["json"] = Schema() } } };
        yield return new object[] { new Hashtable { ["name"] = "get_weather", ["description"] = "Weather", ["input_schema"] = Schema() } };
        yield return new object[] { "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}" };
        yield return new object[] { JsonNode.Parse("{\"name\":\"get_weather\",\"description\":\"Weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}") };
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_accepted_shape_normalises_to_the_same_tool(object shape)
    {
        var tool = ToolDefinition.From(shape);
        Assert.Equal("get_weather", tool.Name);
        Assert.Equal("Weather", tool.Description);
        Assert.Equal("string", tool.Parameters["properties"]!["city"]!["type"]!.GetValue<string>());
        Assert.Equal("city", tool.Parameters["required"]![0]!.GetValue<string>());
        Assert.Equal("{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\",\"parameters\":"
            + tool.Parameters.ToJsonString() + "}}", tool.ToOpenAI().ToJsonString());
    }

    [Theory]
    [InlineData("{\"description\":\"x\",\"parameters\":{}}", "no name")]
    [InlineData("{\"type\":\"function\",\"function\":{\"parameters\":{}}}", "no name")]
    [InlineData("{\"name\":\"f\",\"parameters\":\"object\"}", "must be a JSON object (a JSON schema), not a string")]
    [InlineData("{\"name\":\"f\",\"parameters\":[1]}", "not an array")]
    [InlineData("{\"name\":\"has space\"}", "letters, digits")]
    [InlineData("{\"type\":\"retrieval\",\"function\":{\"name\":\"f\"}}", "only function tools")]
    [InlineData("not json", "must be JSON")]
    [InlineData("42", "must be an object")]
    public void Bad_tools_fail_with_a_message_that_says_what_is_wrong(string json, string expected)
    {
        var error = Assert.Throws<InvocationValidationException>(() => ToolDefinition.From(json));
        Assert.Contains(expected, error.Message);
        Assert.Equal("Tool", error.ParamName);
    }

    [Fact]
    public void A_tool_without_a_schema_takes_no_arguments_and_duplicates_are_refused()
    {
        Assert.Equal("{\"type\":\"object\",\"properties\":{}}", ToolDefinition.From(new Hashtable { ["name"] = "now" }).Parameters.ToJsonString());
        var error = Assert.Throws<InvocationValidationException>(() => ToolDefinition.FromMany(new object[] { "{\"name\":\"a\"}", new Hashtable { ["name"] = "a" } }));
        Assert.Contains("Two tools are named 'a'", error.Message);
        Assert.Equal(new[] { "a", "b" }, ToolDefinition.FromMany(new object[] { "[{\"name\":\"a\"},{\"name\":\"b\"}]" }).Select(t => t.Name));
    }

    [Fact]
    public void The_template_value_is_plain_objects_in_the_transformers_order()
    {
        var value = Assert.IsType<OrderedDictionary>(ToolDefinition.From(Shapes().First()[0]).ToTemplateValue());
        Assert.Equal(new[] { "type", "function" }, value.Keys.Cast<string>());
        var function = Assert.IsType<OrderedDictionary>(value["function"]);
        Assert.Equal(new[] { "name", "description", "parameters" }, function.Keys.Cast<string>());
    }

    /// <summary>botocore's ToolConfiguration: tools[] of the Tool union {toolSpec: {name, description, inputSchema: {json}}},
    /// toolChoice the union {auto: {}} | {any: {}} | {tool: {name}}.</summary>
    [Theory]
    [InlineData(null, null)]
    [InlineData("auto", null)]
    [InlineData("any", "{\"any\":{}}")]
    [InlineData("get_weather", "{\"tool\":{\"name\":\"get_weather\"}}")]
    public void The_Converse_tool_config_has_the_botocore_shape(string choice, string expectedChoice)
    {
        var config = ToolDefinition.ToConverseToolConfig(new[] { ToolDefinition.From(Shapes().First()[0]) }, choice);
        var json = JsonSerializer.SerializeToNode(new ConverseRequest { ModelId = "m", ToolConfig = config }, EngineJson.Options)!;
        var toolConfig = json["toolConfig"]!.AsObject();
        Assert.Equal(expectedChoice == null ? new[] { "tools" } : new[] { "tools", "toolChoice" }, toolConfig.Select(p => p.Key));
        var spec = toolConfig["tools"]![0]!.AsObject();
        Assert.Equal(new[] { "toolSpec" }, spec.Select(p => p.Key));
        Assert.Equal(new[] { "name", "description", "inputSchema" }, spec["toolSpec"]!.AsObject().Select(p => p.Key));
        Assert.Equal("{\"json\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}",
            Normalise(spec["toolSpec"]!["inputSchema"]!));
        if (expectedChoice != null) Assert.Equal(expectedChoice, toolConfig["toolChoice"]!.ToJsonString());
    }

    [Fact]
    public void No_tools_means_no_tool_config_and_an_unknown_choice_is_refused()
    {
        Assert.Null(ToolDefinition.ToConverseToolConfig(Array.Empty<ToolDefinition>()));
        Assert.Throws<InvocationValidationException>(() => ToolDefinition.ToConverseToolConfig(new[] { ToolDefinition.From("{\"name\":\"a\"}") }, "b"));
    }

    // Hashtable key order is not insertion order; compare schemas with sorted keys.
    private static string Normalise(JsonNode node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key == "type" ? "" : p.Key, StringComparer.Ordinal).Select(p => JsonSerializer.Serialize(p.Key) + ":" + Normalise(p.Value!))) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Normalise)) + "]",
        _ => node.ToJsonString(),
    };
}

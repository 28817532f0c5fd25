using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Engine.Bedrock;

namespace BedrockImport.Engine.Invocation;

/// <summary>One tool (function) a model may call: a name, a description and the JSON schema of its arguments.
/// <para>Built from whatever shape a user has at hand (<see cref="From"/>): the transformers / OpenAI shape
/// <c>{"type":"function","function":{name, description, parameters}}</c>, a bare <c>{name, description, parameters}</c>,
/// the Converse shape <c>{"toolSpec":{name, description, inputSchema:{json}}}</c> (or a bare toolSpec), or Anthropic's
/// <c>{name, description, input_schema}</c>; as a dictionary, a JSON string, a JsonNode or a JsonElement. Each goes out
/// in the shape its destination wants: <see cref="ToTemplateValue"/> (what transformers passes a chat template as
/// <c>tools</c>), <see cref="ToOpenAI"/> (OpenAI chat bodies), <see cref="ToConverseToolConfig"/> (Converse toolConfig).</para></summary>
public sealed class ToolDefinition
{
    public const string ParameterName = "Tool";

    /// <summary>Converse's ToolName: 1 to 64 of [a-zA-Z0-9_-].</summary>
    public const int MaxNameLength = 64;

    public ToolDefinition(string name, string? description, JsonObject parameters)
    {
        if (string.IsNullOrWhiteSpace(name)) throw Invalid("A tool has no name.");
        Name = name;
        Description = string.IsNullOrEmpty(description) ? null : description;
        Parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
    }

    public string Name { get; }

    public string? Description { get; }

    /// <summary>The JSON schema of the arguments (an object schema; <c>{"type":"object","properties":{}}</c> when none was given).</summary>
    public JsonObject Parameters { get; }

    /// <summary>A tool from any of the accepted shapes (see the class summary).</summary>
    /// <exception cref="InvocationValidationException">Not JSON, not an object, no name, a name Converse would refuse,
    /// or a schema that is not a JSON object.</exception>
    public static ToolDefinition From(object? value)
    {
        var node = (value is string json ? ParseJson(json) : ToNode(value)) as JsonObject ?? throw Invalid("A tool must be an object (a hashtable or JSON) with a name and a JSON schema; got " + Describe(value) + ".");

        if (node["toolSpec"] is JsonNode spec)
            node = spec as JsonObject ?? throw Invalid("A tool's toolSpec must be an object.");
        else if (node["function"] is JsonNode function)
        {
            var type = StringMember(node, "type");
            if (type != null && type != "function")
                throw Invalid("Tool type '" + type + "' is not supported; only function tools are.");
            node = function as JsonObject ?? throw Invalid("A tool's function must be an object.");
        }

        var name = StringMember(node, "name");
        if (string.IsNullOrWhiteSpace(name)) throw Invalid("A tool has no name (" + Excerpt(node) + ").");
        if (name!.Length > MaxNameLength || name.Any(c => !(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '-')))
            throw Invalid("Tool name '" + name + "' must be 1 to 64 letters, digits, '_' or '-'.");

        var description = StringMember(node, "description");
        var schemaNode = node["parameters"] ?? node["input_schema"] ?? node["inputSchema"];
        if (schemaNode is JsonObject wrapper && node["parameters"] == null && wrapper.Count == 1 && wrapper["json"] != null)
            schemaNode = wrapper["json"];
        JsonObject schema;
        if (schemaNode == null) schema = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
        else schema = schemaNode as JsonObject ?? throw Invalid("The schema of tool '" + name + "' must be a JSON object (a JSON schema), not " + Kind(schemaNode) + ".");
        return new ToolDefinition(name, description, (JsonObject)schema.DeepClone());
    }

    /// <summary>Tools from a list of any of the accepted shapes; a JSON string holding an array counts as its items.
    /// Null or empty gives an empty list. Names must be unique.</summary>
    public static IReadOnlyList<ToolDefinition> FromMany(IEnumerable? values)
    {
        var tools = new List<ToolDefinition>();
        if (values == null) return tools;
        foreach (var value in values)
        {
            if (value is string json && json.TrimStart().StartsWith("[", StringComparison.Ordinal) && ParseJson(json) is JsonArray array)
                tools.AddRange(array.Select(From));
            else
                tools.Add(From(value));
        }
        var duplicate = tools.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw Invalid("Two tools are named '" + duplicate.Key + "'; tool names must be unique.");
        return tools;
    }

    /// <summary>The OpenAI / transformers shape: {"type":"function","function":{"name","description","parameters"}}.</summary>
    public JsonObject ToOpenAI()
    {
        var function = new JsonObject { ["name"] = Name };
        if (Description != null) function["description"] = Description;
        function["parameters"] = Parameters.DeepClone();
        return new JsonObject { ["type"] = "function", ["function"] = function };
    }

    /// <summary>What transformers' apply_chat_template passes the template as one item of <c>tools</c> (a dict in the
    /// OpenAI shape), as plain objects the Jinja engine takes (OrderedDictionary, object[], string, long, double, bool).</summary>
    public object? ToTemplateValue()
    {
        using var document = JsonDocument.Parse(ToOpenAI().ToJsonString());
        return ResponseJson.ToPlain(document.RootElement);
    }

    /// <summary>The template variable <c>tools</c> for a list of tools.</summary>
    public static object?[] ToTemplateValues(IReadOnlyList<ToolDefinition> tools)
        => tools.Select(t => t.ToTemplateValue()).ToArray();

    public ConverseTool ToConverseTool() => new ConverseTool
    {
        ToolSpec = new ToolSpecification
        {
            Name = Name,
            Description = Description,
            InputSchema = new ToolInputSchema { Json = (JsonObject)Parameters.DeepClone() },
        },
    };

    /// <summary>Converse's toolConfig for these tools; null when there are none (Converse refuses an empty tools list).</summary>
    /// <param name="toolChoice">auto (the default, left out), any, or the name of one of the tools.</param>
    /// <exception cref="InvocationValidationException">toolChoice names no tool of the list.</exception>
    public static ToolConfiguration? ToConverseToolConfig(IReadOnlyList<ToolDefinition>? tools, string? toolChoice = null)
    {
        if (tools == null || tools.Count == 0)
        {
            if (!string.IsNullOrEmpty(toolChoice)) throw Invalid("A tool choice needs tools.");
            return null;
        }
        var config = new ToolConfiguration { Tools = tools.Select(t => t.ToConverseTool()).ToList() };
        if (string.IsNullOrEmpty(toolChoice) || string.Equals(toolChoice, "auto", StringComparison.OrdinalIgnoreCase)) return config;
        if (string.Equals(toolChoice, "any", StringComparison.OrdinalIgnoreCase))
            config.ToolChoice = new ToolChoice { Any = new JsonObject() };
        else if (tools.Any(t => t.Name == toolChoice))
            config.ToolChoice = new ToolChoice { Tool = new SpecificToolChoice { Name = toolChoice! } };
        else
            throw Invalid("The tool choice '" + toolChoice + "' is none of the tools (" + string.Join(", ", tools.Select(t => t.Name)) + "); use auto, any or a tool's name.");
        return config;
    }

    public override string ToString() => Name;

    private static JsonNode? ToNode(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case JsonNode node:
                return node.DeepClone();
            case JsonElement element:
                return JsonNode.Parse(element.GetRawText());
            case string text:
                return JsonValue.Create(text);
            case bool b:
                return JsonValue.Create(b);
            case IDictionary map:
                var result = new JsonObject();
                foreach (DictionaryEntry entry in map)
                    result[Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? ""] = ToNode(entry.Value);
                return result;
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                var fromPairs = new JsonObject();
                foreach (var pair in pairs) fromPairs[pair.Key] = ToNode(pair.Value);
                return fromPairs;
            case IEnumerable items:
                var list = new JsonArray();
                foreach (var item in items) list.Add(ToNode(item));
                return list;
            case int or long or short or byte or uint or ulong or ushort or sbyte:
                return JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture));
            case double or float or decimal:
                return JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture));
            default:
                return JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture));
        }
    }

    private static JsonNode? ParseJson(string json)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw Invalid("A tool given as a string must be JSON: " + e.Message);
        }
    }

    private static string? StringMember(JsonObject node, string name)
        => node[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static string Kind(JsonNode node) => node switch
    {
        JsonArray => "an array",
        JsonValue value when value.TryGetValue<string>(out _) => "a string",
        _ => "a " + node.GetValueKind().ToString().ToLowerInvariant(),
    };

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string => "a string that is not a JSON object",
        IEnumerable => "a list",
        _ => value.GetType().Name,
    };

    private static string Excerpt(JsonNode node)
    {
        var text = node.ToJsonString();
        return text.Length > 80 ? text.Substring(0, 80) + "…" : text;
    }

    private static InvocationValidationException Invalid(string message) => new InvocationValidationException(message, ParameterName);
}

using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Engine.Invocation;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>A Converse / ConverseStream request body (botocore's ConverseRequest): messages of text content blocks,
/// system text blocks and inferenceConfig (maxTokens, stopSequences; temperature and topP are read and ignored, as
/// TextGenerator is deterministic). additionalModelRequestFields is accepted and ignored. toolConfig (tools[].toolSpec,
/// toolChoice auto | any | tool) is read into Tools and ToolChoice; toolUse and toolResult blocks in messages need it, as
/// on the service, and reach a chat template as text (a toolUse as {"name", "arguments"} JSON, a toolResult as its content).</summary>
internal sealed record ConverseRequest(IReadOnlyList<ChatMessage> SystemBlocks, IReadOnlyList<ChatMessage> Messages, int MaxTokens, IReadOnlyList<string> Stop,
    IReadOnlyList<ToolDefinition>? Tools = null, string? ToolChoice = null)
{
    /// <summary>The service's answer to toolUse or toolResult blocks in a request without toolConfig.</summary>
    public const string ToolConfigMissingMessage = "The toolConfig field must be defined when using toolUse and toolResult content blocks.";

    public const int DefaultMaxTokens = 512;
    private const int MaxStopSequences = 4;

    /// <summary>System blocks first (each a "system" message), then the conversation, as a chat template wants them.</summary>
    public IReadOnlyList<ChatMessage> TemplateMessages => SystemBlocks.Count == 0
        ? Messages
        : new[] { new ChatMessage(ChatRoles.System, string.Join("\n", SystemBlocks.Select(s => s.Content))) }.Concat(Messages).ToList();

    /// <summary>The text the answer book is asked about: the last user message.</summary>
    public string LastUserText => Messages.Last(m => m.Role == ChatRoles.User).Content;

    public static ConverseRequest Parse(byte[] bytes)
    {
        JsonNode? root;
        try
        {
            root = bytes.Length == 0 ? new JsonObject() : JsonNode.Parse(bytes);
        }
        catch (JsonException)
        {
            throw BedrockError.Validation("Malformed input request, please reformat your input and try again.");
        }
        if (root is not JsonObject body)
            throw BedrockError.Validation("Malformed input request, please reformat your input and try again.");

        if (body["messages"] is not JsonArray messagesNode || messagesNode.Count == 0)
            throw BedrockError.Validation("A conversation must start with a user message. Try again with a conversation that starts with a user message.");
        var messages = new List<ChatMessage>();
        for (var i = 0; i < messagesNode.Count; i++)
        {
            var message = messagesNode[i] as JsonObject
                          ?? throw BedrockError.Validation($"1 validation error detected: Value at 'messages.{i + 1}' failed to satisfy constraint: Member must not be null");
            var role = (message["role"] as JsonValue)?.GetValueKind() == JsonValueKind.String ? message["role"]!.GetValue<string>() : null;
            if (role is not (ChatRoles.User or ChatRoles.Assistant))
                throw BedrockError.Validation($"1 validation error detected: Value '{role}' at 'messages.{i + 1}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]");
            messages.Add(new ChatMessage(role, Text(message["content"], $"messages.{i + 1}.member.content")));
        }
        if (messages[0].Role != ChatRoles.User)
            throw BedrockError.Validation("A conversation must start with a user message. Try again with a conversation that starts with a user message.");
        for (var i = 1; i < messages.Count; i++)
            if (messages[i].Role == messages[i - 1].Role)
                throw BedrockError.Validation("A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.");

        var system = new List<ChatMessage>();
        if (body["system"] is JsonNode systemNode)
        {
            if (systemNode is not JsonArray systemBlocks)
                throw BedrockError.Validation("Malformed input request, please reformat your input and try again.");
            foreach (var block in systemBlocks)
                system.Add(new ChatMessage(ChatRoles.System, BlockText(block, "system")));
        }

        var config = body["inferenceConfig"] as JsonObject;
        var maxTokens = DefaultMaxTokens;
        if (config?["maxTokens"] is JsonNode maxNode)
        {
            if (maxNode is not JsonValue maxValue || !maxValue.TryGetValue<int>(out maxTokens) || maxTokens < 1)
                throw BedrockError.Validation("1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1");
        }
        var stop = new List<string>();
        if (config?["stopSequences"] is JsonNode stopNode)
        {
            if (stopNode is not JsonArray stops || stops.Any(s => s is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
                throw BedrockError.Validation("Malformed input request, please reformat your input and try again.");
            if (stops.Count > MaxStopSequences)
                throw BedrockError.Validation($"1 validation error detected: Value at 'inferenceConfig.stopSequences' failed to satisfy constraint: Member must have length less than or equal to {MaxStopSequences}");
            stop.AddRange(stops.Select(s => s!.GetValue<string>()));
        }
        var (tools, toolChoice) = ToolConfig(body["toolConfig"]);
        if (tools == null && messagesNode.OfType<JsonObject>().Any(m => m["content"] is JsonArray blocks
                && blocks.OfType<JsonObject>().Any(b => b["toolUse"] != null || b["toolResult"] != null)))
            throw BedrockError.Validation(ToolConfigMissingMessage);
        return new ConverseRequest(system, messages, maxTokens, stop, tools, toolChoice);
    }

    /// <summary>toolConfig: tools (1 or more toolSpec) and toolChoice ({auto:{}}, {any:{}} or {tool:{name}}); null when absent.</summary>
    private static (IReadOnlyList<ToolDefinition>? Tools, string? Choice) ToolConfig(JsonNode? node)
    {
        if (node == null) return (null, null);
        if (node is not JsonObject config || config["tools"] is not JsonArray toolsNode)
            throw BedrockError.Validation("1 validation error detected: Value null at 'toolConfig.tools' failed to satisfy constraint: Member must not be null");
        if (toolsNode.Count == 0)
            throw BedrockError.Validation("1 validation error detected: Value '[]' at 'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1");
        var tools = new List<ToolDefinition>();
        for (var i = 0; i < toolsNode.Count; i++)
        {
            if (toolsNode[i] is not JsonObject tool || tool["toolSpec"] is not JsonObject spec || spec["inputSchema"]?["json"] is not JsonObject)
                throw BedrockError.Validation($"1 validation error detected: Value at 'toolConfig.tools.{i + 1}.member.toolSpec' failed to satisfy constraint: Member must not be null");
            try
            {
                tools.Add(ToolDefinition.From(tool));
            }
            catch (InvocationValidationException e)
            {
                throw BedrockError.Validation($"1 validation error detected: Value at 'toolConfig.tools.{i + 1}.member.toolSpec.name' failed to satisfy constraint: {e.Message.Split(" (Parameter")[0]}");
            }
        }
        if (tools.Select(t => t.Name).Distinct(StringComparer.Ordinal).Count() != tools.Count)
            throw BedrockError.Validation("The toolConfig field contains duplicate tool names.");

        string? choice = null;
        if (config["toolChoice"] is JsonObject choiceNode)
        {
            if (choiceNode["any"] != null) choice = "any";
            else if (choiceNode["auto"] != null) choice = "auto";
            else if (choiceNode["tool"]?["name"] is JsonValue name && name.TryGetValue<string>(out var toolName))
            {
                if (tools.All(t => t.Name != toolName))
                    throw BedrockError.Validation($"The tool {toolName} in toolChoice is not defined in toolConfig.tools.");
                choice = toolName;
            }
            else throw BedrockError.Validation("Malformed input request, please reformat your input and try again.");
        }
        return (tools, choice);
    }

    private static string Text(JsonNode? content, string where)
    {
        if (content is not JsonArray blocks || blocks.Count == 0)
            throw BedrockError.Validation($"1 validation error detected: Value at '{where}' failed to satisfy constraint: Member must not be null");
        return string.Join("\n", blocks.Select(b => BlockText(b, where)));
    }

    private static string BlockText(JsonNode? block, string where)
    {
        if (block is not JsonObject members)
            throw BedrockError.Validation($"1 validation error detected: Value at '{where}' failed to satisfy constraint: Member must not be null");
        if (members["text"] is JsonValue text && text.GetValueKind() == JsonValueKind.String)
            return text.GetValue<string>();
        if (where != "system" && members["toolUse"] is JsonObject toolUse)
            return new JsonObject { ["name"] = toolUse["name"]?.DeepClone(), ["arguments"] = toolUse["input"]?.DeepClone() }.ToJsonString();
        if (where != "system" && members["toolResult"] is JsonObject toolResult)
            return string.Join("\n", (toolResult["content"] as JsonArray ?? new JsonArray()).OfType<JsonObject>()
                .Select(c => c["text"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : c["json"]?.ToJsonString() ?? ""));
        var kind = members.Select(m => m.Key).FirstOrDefault() ?? "empty";
        throw BedrockError.Validation($"This model doesn't support the {kind} content block that you provided. Try again with text content only.");
    }
}

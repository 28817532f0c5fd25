using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Shared;

namespace BedrockImport.Engine.Invocation;

/// <summary>One tool call the model asked for. Arguments are the parsed JSON as plain objects (OrderedDictionary,
/// object[], string, long, double, bool, null), as <see cref="InvocationResult.Raw"/> is; ArgumentsJson is the text
/// as the model gave it (null Arguments when it is not JSON: a model can write broken JSON).</summary>
public sealed class ToolCall
{
    public ToolCall(string? id, string name, string argumentsJson)
    {
        Id = id;
        Name = name;
        ArgumentsJson = argumentsJson ?? "";
        Arguments = Parse(ArgumentsJson);
    }

    /// <summary>The call's id (Converse toolUseId, OpenAI tool_calls[].id), to answer it with a tool result.</summary>
    public string? Id { get; }

    public string Name { get; }

    public object? Arguments { get; }

    public string ArgumentsJson { get; }

    public override string ToString() => Name + "(" + ArgumentsJson + ")";

    /// <summary>The toolUse blocks of a Converse answer.</summary>
    public static IReadOnlyList<ToolCall> FromConverse(ConverseResponse response)
    {
        var calls = new List<ToolCall>();
        foreach (var block in response?.Output?.Message?.Content ?? new List<ContentBlock>())
        {
            if (block?.ToolUse is { } use)
                calls.Add(new ToolCall(use.ToolUseId, use.Name, use.Input?.ToJsonString() ?? "{}"));
        }
        return calls;
    }

    /// <summary>choices[0].message.tool_calls of an OpenAI chat answer: [{id, type:"function", function:{name, arguments}}]
    /// where arguments is a JSON string (or, from some servers, the object itself).</summary>
    internal static IReadOnlyList<ToolCall> FromOpenAIChat(JsonElement root)
    {
        var calls = new List<ToolCall>();
        var list = ResponseJson.Path(root, "choices", 0, "message", "tool_calls");
        if (list?.ValueKind != JsonValueKind.Array) return calls;
        foreach (var item in list.Value.EnumerateArray())
        {
            var name = ResponseJson.String(item, "function", "name");
            if (name == null) continue;
            var arguments = ResponseJson.Path(item, "function", "arguments");
            var json = arguments?.ValueKind switch
            {
                JsonValueKind.String => arguments.Value.GetString()!,
                JsonValueKind.Object or JsonValueKind.Array => arguments.Value.GetRawText(),
                _ => "{}",
            };
            calls.Add(new ToolCall(ResponseJson.String(item, "id"), name, json));
        }
        return calls;
    }

    private static object? Parse(string json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try
        {
            using var document = StrictJson.Parse(json);
            return ResponseJson.ToPlain(document.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Collects the tool calls of a ConverseStream: contentBlockStart.start.toolUse opens one (id, name) and the
/// contentBlockDelta.delta.toolUse.input fragments of the same block index, joined, are its input.</summary>
public sealed class ConverseToolUseAccumulator
{
    private readonly SortedDictionary<int, (string Id, string Name, StringBuilder Input)> _open = new();

    public void Add(ConverseStreamEvent item)
    {
        if (item == null) return;
        var index = item.ContentBlockIndex ?? 0;
        if (item.EventType == ConverseStreamEventTypes.ContentBlockStart && item.Start?.ToolUse is { } start)
            _open[index] = (start.ToolUseId, start.Name, new StringBuilder());
        else if (item.EventType == ConverseStreamEventTypes.ContentBlockDelta && item.Delta?.ToolUse is { } delta && _open.TryGetValue(index, out var call))
            call.Input.Append(delta.Input);
    }

    /// <summary>The calls so far, in block order (an empty input counts as {}).</summary>
    public IReadOnlyList<ToolCall> ToolCalls => _open.Values
        .Select(c => new ToolCall(c.Id, c.Name, c.Input.Length == 0 ? "{}" : c.Input.ToString())).ToList();

    /// <summary>The toolUse content blocks, to put the assistant's turn back into a conversation.</summary>
    public IReadOnlyList<ContentBlock> ToContentBlocks() => ToolCalls.Select(c => new ContentBlock
    {
        ToolUse = new ToolUseBlock { ToolUseId = c.Id ?? "", Name = c.Name, Input = c.Arguments == null ? null : JsonNode.Parse(c.ArgumentsJson) },
    }).ToList();
}

/// <summary>Collects the tool calls of a streamed OpenAI chat answer: each chunk's choices[0].delta.tool_calls[] carries
/// fragments keyed by index — the id and function.name arrive first, function.arguments as string pieces to join.</summary>
public sealed class OpenAIChatToolCallAccumulator
{
    private readonly SortedDictionary<int, (string? Id, StringBuilder Name, StringBuilder Arguments)> _open = new();

    public bool IsEmpty => _open.Count == 0;

    public void Add(JsonElement chunk)
    {
        var list = ResponseJson.Path(chunk, "choices", 0, "delta", "tool_calls");
        if (list?.ValueKind != JsonValueKind.Array) return;
        var position = 0;
        foreach (var item in list.Value.EnumerateArray())
        {
            var index = ResponseJson.Int(item, "index") ?? position;
            position++;
            if (!_open.TryGetValue(index, out var call))
            {
                call = (null, new StringBuilder(), new StringBuilder());
            }

            var id = ResponseJson.String(item, "id");
            call.Name.Append(ResponseJson.String(item, "function", "name"));
            var arguments = ResponseJson.Path(item, "function", "arguments");
            if (arguments?.ValueKind == JsonValueKind.String) call.Arguments.Append(arguments.Value.GetString());
            else if (arguments?.ValueKind is JsonValueKind.Object or JsonValueKind.Array) call.Arguments.Append(arguments.Value.GetRawText());
            _open[index] = (call.Id ?? id, call.Name, call.Arguments);
        }
    }

    /// <summary>The calls so far, in index order (a call whose name never arrived is left out; empty arguments count as {}).</summary>
    public IReadOnlyList<ToolCall> ToolCalls => _open.Values
        .Where(c => c.Name.Length > 0)
        .Select(c => new ToolCall(c.Id, c.Name.ToString(), c.Arguments.Length == 0 ? "{}" : c.Arguments.ToString())).ToList();
}

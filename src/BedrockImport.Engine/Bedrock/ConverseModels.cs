using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace BedrockImport.Engine.Bedrock;

/// <summary>One Converse / ConverseStream call (bedrock-runtime 2023-09-30). The model id travels in the path; every
/// other member is the camelCase JSON body. Text, toolUse and toolResult content (no guardrails or images).</summary>
public sealed class ConverseRequest
{
    /// <summary>Foundation model id, inference profile id or ARN, imported-model ARN: anything Converse accepts.</summary>
    [JsonIgnore]
    public string ModelId { get; set; } = "";

    public List<ConverseMessage> Messages { get; set; } = new List<ConverseMessage>();

    public List<SystemContentBlock>? System { get; set; }

    public InferenceConfiguration? InferenceConfig { get; set; }

    /// <summary>Model-specific members passed through as they are, e.g. {"top_k": 40}.</summary>
    public JsonObject? AdditionalModelRequestFields { get; set; }

    /// <summary>The tools the model may call (<see cref="Invocation.ToolDefinition.ToConverseToolConfig"/> builds it).</summary>
    public ToolConfiguration? ToolConfig { get; set; }
}

public sealed class ConverseMessage
{
    /// <summary>user or assistant.</summary>
    public string Role { get; set; } = ConverseRoles.User;

    public List<ContentBlock> Content { get; set; } = new List<ContentBlock>();

    public static ConverseMessage FromText(string role, string text)
        => new ConverseMessage { Role = role, Content = { new ContentBlock { Text = text } } };
}

public static class ConverseRoles
{
    public const string User = "user";
    public const string Assistant = "assistant";
}

/// <summary>A content block (a union on the wire: exactly one member set): text, toolUse (the model asks for a call)
/// or toolResult (the caller answers one).</summary>
public sealed class ContentBlock
{
    public string? Text { get; set; }

    public ToolUseBlock? ToolUse { get; set; }

    public ToolResultBlock? ToolResult { get; set; }
}

/// <summary>toolConfig: tools (at least one) and an optional toolChoice.</summary>
public sealed class ToolConfiguration
{
    public List<ConverseTool> Tools { get; set; } = new List<ConverseTool>();

    public ToolChoice? ToolChoice { get; set; }
}

/// <summary>One Tool (a union; only toolSpec is modeled).</summary>
public sealed class ConverseTool
{
    public ToolSpecification? ToolSpec { get; set; }
}

public sealed class ToolSpecification
{
    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public ToolInputSchema InputSchema { get; set; } = new ToolInputSchema();
}

/// <summary>ToolInputSchema (a union): json, the JSON schema document.</summary>
public sealed class ToolInputSchema
{
    public JsonObject? Json { get; set; }
}

/// <summary>ToolChoice (a union): auto {}, any {} or tool {name}.</summary>
public sealed class ToolChoice
{
    public JsonObject? Auto { get; set; }

    public JsonObject? Any { get; set; }

    public SpecificToolChoice? Tool { get; set; }
}

public sealed class SpecificToolChoice
{
    public string Name { get; set; } = "";
}

public sealed class ToolUseBlock
{
    public string ToolUseId { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>The arguments, a JSON document (an object for function tools).</summary>
    public JsonNode? Input { get; set; }
}

public sealed class ToolResultBlock
{
    public string ToolUseId { get; set; } = "";

    public List<ToolResultContentBlock> Content { get; set; } = new List<ToolResultContentBlock>();

    /// <summary>success or error.</summary>
    public string? Status { get; set; }
}

/// <summary>ToolResultContentBlock (a union): json or text.</summary>
public sealed class ToolResultContentBlock
{
    public JsonNode? Json { get; set; }

    public string? Text { get; set; }
}

public sealed class SystemContentBlock
{
    public string? Text { get; set; }
}

public sealed class InferenceConfiguration
{
    public int? MaxTokens { get; set; }
    public float? Temperature { get; set; }
    public float? TopP { get; set; }
    public List<string>? StopSequences { get; set; }
}

public sealed class ConverseResponse
{
    public ConverseOutput? Output { get; set; }

    /// <summary>end_turn, max_tokens, stop_sequence, ... (StopReasons); stop_sequence also when the client cut the text.</summary>
    public string? StopReason { get; set; }

    public TokenUsage? Usage { get; set; }

    public ConverseMetrics? Metrics { get; set; }

    public JsonElement? AdditionalModelResponseFields { get; set; }

    [JsonIgnore]
    public string? RequestId { get; set; }

    /// <summary>The stop sequence the client cut the answer at (ConverseStops), when the service did not stop there itself.</summary>
    [JsonIgnore]
    public string? ClientStopSequence { get; set; }
}

public sealed class ConverseOutput
{
    public ConverseMessage? Message { get; set; }
}

public sealed class TokenUsage
{
    public int InputTokens { get; set; }
    public int OutputTokens { get; set; }
    public int TotalTokens { get; set; }
}

public sealed class ConverseMetrics
{
    public long LatencyMs { get; set; }
}

public static class ConverseStopReasons
{
    public const string EndTurn = "end_turn";
    public const string MaxTokens = "max_tokens";
    public const string StopSequence = "stop_sequence";
    public const string ToolUse = "tool_use";
}

/// <summary>The event types of ConverseStreamOutput.</summary>
public static class ConverseStreamEventTypes
{
    public const string MessageStart = "messageStart";
    public const string ContentBlockStart = "contentBlockStart";
    public const string ContentBlockDelta = "contentBlockDelta";
    public const string ContentBlockStop = "contentBlockStop";
    public const string MessageStop = "messageStop";
    public const string Metadata = "metadata";
}

/// <summary>One event of a ConverseStream answer. EventType says which; the members of that event are set
/// (messageStart: Role; contentBlockStart: ContentBlockIndex, Start; contentBlockDelta: ContentBlockIndex, Delta;
/// contentBlockStop: ContentBlockIndex; messageStop: StopReason; metadata: Usage, Metrics).</summary>
public sealed class ConverseStreamEvent
{
    [JsonIgnore]
    public string EventType { get; set; } = "";

    public string? Role { get; set; }

    public int? ContentBlockIndex { get; set; }

    /// <summary>contentBlockStart's start union: toolUse (id and name; the input follows in deltas).</summary>
    public ContentBlockStart? Start { get; set; }

    public ContentBlockDelta? Delta { get; set; }

    public string? StopReason { get; set; }

    public JsonElement? AdditionalModelResponseFields { get; set; }

    public TokenUsage? Usage { get; set; }

    public ConverseMetrics? Metrics { get; set; }

    /// <summary>True for an event the client made up (the contentBlockStop and messageStop after a client-side stop sequence).</summary>
    [JsonIgnore]
    public bool FromClient { get; set; }

    /// <summary>The event's JSON as it came off the wire (null for one the client made up): Raw is read from it, not
    /// from the event serialized again.</summary>
    [JsonIgnore]
    internal byte[]? Payload { get; set; }
}

public sealed class ContentBlockDelta
{
    public string? Text { get; set; }

    public ToolUseBlockDelta? ToolUse { get; set; }
}

public sealed class ContentBlockStart
{
    public ToolUseBlockStart? ToolUse { get; set; }
}

public sealed class ToolUseBlockStart
{
    public string ToolUseId { get; set; } = "";

    public string Name { get; set; } = "";
}

/// <summary>A fragment of a tool call's input JSON; the fragments of one block joined are the input document.</summary>
public sealed class ToolUseBlockDelta
{
    public string Input { get; set; } = "";
}

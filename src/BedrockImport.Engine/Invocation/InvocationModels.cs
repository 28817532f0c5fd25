namespace BedrockImport.Engine.Invocation;

/// <summary>The three request bodies an imported model accepts (bedrock-wire-protocol.md §5.5).</summary>
public enum InvocationFormat
{
    /// <summary>{"prompt", "max_gen_len", ...} → "generation". Works on every imported model, old and new.</summary>
    BedrockCompletion,

    /// <summary>OpenAI /v1/completions: {"prompt", "max_tokens", ...} → choices[0].text.</summary>
    OpenAICompletion,

    /// <summary>OpenAI /v1/chat/completions: {"messages", "max_tokens", ...} → choices[0].message.content.</summary>
    OpenAIChat,
}

public static class ChatRoles
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";

    public static bool IsKnown(string? role) => role == System || role == User || role == Assistant;
}

public sealed class ChatMessage
{
    public ChatMessage(string role, string content)
    {
        Role = role;
        Content = content;
    }

    public string Role { get; }
    public string Content { get; }

    /// <summary>A message from a role/content map (a PowerShell hashtable; keys are matched without case, and the role
    /// is lower-cased as PowerShell users write "User" too). Non-string content is converted with ToString.
    /// Whether the role is system/user/assistant is checked by the request builder.</summary>
    /// <exception cref="InvocationValidationException">role or content is missing.</exception>
    public static ChatMessage FromDictionary(System.Collections.IDictionary map)
    {
        if (map == null) throw new InvocationValidationException("A message is null.", "Messages");
        object? role = null, content = null;
        foreach (System.Collections.DictionaryEntry entry in map)
        {
            var key = Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture);
            if (string.Equals(key, "role", StringComparison.OrdinalIgnoreCase)) role = entry.Value;
            else if (string.Equals(key, "content", StringComparison.OrdinalIgnoreCase)) content = entry.Value;
        }
        if (role == null) throw new InvocationValidationException("A message has no 'role' (system, user or assistant).", "Messages");
        if (content == null) throw new InvocationValidationException("A message has no 'content'.", "Messages");
        return new ChatMessage(
            (Convert.ToString(role, System.Globalization.CultureInfo.InvariantCulture) ?? "").Trim().ToLowerInvariant(),
            Convert.ToString(content, System.Globalization.CultureInfo.InvariantCulture) ?? "");
    }

    public override string ToString() => Role + ": " + Content;
}

/// <summary>What the caller asked for. Unset sampling values are left out of the body (the model's defaults apply),
/// except MaxTokens (see <see cref="InvocationRequestBuilder.DefaultMaxTokens"/>).</summary>
public sealed class InvocationRequest
{
    /// <summary>Null: BedrockCompletion, or an OpenAI format when AnswerChoices is set (see <see cref="InvocationRequestBuilder.ResolveFormat"/>).</summary>
    public InvocationFormat? Format { get; set; }

    public string? Prompt { get; set; }
    public IReadOnlyList<ChatMessage>? Messages { get; set; }
    public string? SystemPrompt { get; set; }

    public int? MaxTokens { get; set; }
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    public int? TopK { get; set; }
    public IReadOnlyList<string>? StopSequences { get; set; }

    /// <summary>The imported model's chat template, if its source has one; used when messages meet a completion format.</summary>
    public ChatTemplate? ChatTemplate { get; set; }

    /// <summary>Extra variables for the chat template (for example enable_thinking = false for Qwen3).</summary>
    public IReadOnlyDictionary<string, object?>? TemplateVariables { get; set; }

    /// <summary>Keep a leading bos_token produced by the chat template. Off by default because the service's
    /// tokenizer adds BOS itself and a doubled BOS degrades Llama 3 output.</summary>
    public bool KeepBosToken { get; set; }

    /// <summary>Tools the model may call: passed to the chat template as <c>tools</c> (in transformers' shape), sent as
    /// <c>tools</c> in OpenAIChat bodies and as toolConfig with Converse (<see cref="ToolDefinition.ToConverseToolConfig"/>).</summary>
    public IReadOnlyList<ToolDefinition>? Tools { get; set; }

    /// <summary>auto (default), any, none (OpenAIChat only) or a tool's name: OpenAIChat tool_choice, Converse toolChoice.</summary>
    public string? ToolChoice { get; set; }

    /// <summary>The strings the answer must be exactly one of: sent as vLLM's <c>structured_outputs.choice</c>, which models
    /// imported after 2025-11-11 accept in the OpenAI formats only. Without a Format it picks OpenAICompletion for a
    /// prompt and OpenAIChat for messages (<see cref="InvocationRequestBuilder.ResolveFormat"/>). 1 to
    /// <see cref="InvocationRequestBuilder.MaxAnswerChoices"/> distinct, non-empty strings. Converse has no such field.</summary>
    public IReadOnlyList<string>? AnswerChoices { get; set; }
}

/// <summary>A request body ready for InvokeModel / InvokeModelWithResponseStream.</summary>
public sealed class PreparedInvocation
{
    internal PreparedInvocation(InvocationFormat? format, byte[] body, string? prompt, IReadOnlyList<ChatMessage>? messages,
        IReadOnlyList<string> stopSequences, bool usedChatTemplate)
    {
        Format = format;
        Body = body;
        Prompt = prompt;
        Messages = messages;
        StopSequences = stopSequences;
        UsedChatTemplate = usedChatTemplate;
    }

    /// <summary>The format actually sent; null for a caller-built body whose shape was not recognised.</summary>
    public InvocationFormat? Format { get; }

    public byte[] Body { get; }

    /// <summary>The prompt text sent (after the chat template, if one was used); for OpenAIChat the last user message.</summary>
    public string? Prompt { get; }

    /// <summary>The messages sent (OpenAIChat) or rendered (chat template); null for a plain prompt.</summary>
    public IReadOnlyList<ChatMessage>? Messages { get; }

    /// <summary>The stop sequences to enforce on the answer (from the request, or the "stop" member of a caller-built body).</summary>
    public IReadOnlyList<string> StopSequences { get; }

    public bool UsedChatTemplate { get; }
}

/// <summary>A prompt rendered with the model's chat template (<see cref="InvocationRequestBuilder.RenderPrompt"/>).</summary>
public sealed class RenderedPrompt
{
    internal RenderedPrompt(string prompt, string? droppedBosToken, IReadOnlyList<ChatMessage> messages)
    {
        Prompt = prompt;
        DroppedBosToken = droppedBosToken;
        Messages = messages;
    }

    /// <summary>The exact text sent as the prompt.</summary>
    public string Prompt { get; }

    /// <summary>The bos_token the template put first and the client dropped (the service adds BOS itself); null when none was.</summary>
    public string? DroppedBosToken { get; }

    /// <summary>The conversation rendered (SystemPrompt first, then the messages or the prompt as one user message).</summary>
    public IReadOnlyList<ChatMessage> Messages { get; }
}

/// <summary>One answer, streamed or not. The invocation engine fills the response side; the cmdlet adds
/// Prompt, LatencyMs, FirstTokenMs, ModelArn, RequestId and Id.</summary>
public sealed class InvocationResult
{
    public string? Prompt { get; set; }

    /// <summary>The answer text, cut at the first stop sequence. Null when the response carried no recognisable text.</summary>
    public string? Completion { get; set; }

    /// <summary>One of <see cref="StopReasons"/>' values, another lower-case reason as the service gave it, or null.</summary>
    public string? StopReason { get; set; }

    /// <summary>The stop sequence that ended the answer, when one did.</summary>
    public string? StopSequence { get; set; }

    /// <summary>The stop reason exactly as the service reported it (before normalisation and before our cut).</summary>
    public string? ServiceStopReason { get; set; }

    public int? InputTokens { get; set; }
    public int? OutputTokens { get; set; }
    public long? LatencyMs { get; set; }
    public long? FirstTokenMs { get; set; }
    public string? ModelArn { get; set; }
    public string? RequestId { get; set; }
    public string? Id { get; set; }

    /// <summary>The service's own latency (Converse metrics.latencyMs, or invocationLatency of InvokeModel's metrics), when it reported one.</summary>
    public long? ServiceLatencyMs { get; set; }

    /// <summary>The parsed response as plain objects (OrderedDictionary, object[], string, long, double, bool, null);
    /// for a stream, an object[] of every chunk received.</summary>
    public object? Raw { get; set; }

    /// <summary>The tool calls the model asked for (OpenAIChat tool_calls, plain or streamed; Converse toolUse blocks); empty when none.
    /// A completion format's raw text is not parsed for tool calls: the call is in Completion as the model wrote it.</summary>
    public IReadOnlyList<ToolCall> ToolCalls { get; set; } = Array.Empty<ToolCall>();

    public override string ToString() => Completion ?? "";
}

/// <summary>The normalised stop reasons. Anything else is passed on lower-cased.</summary>
public static class StopReasons
{
    /// <summary>The model finished on its own (end of sequence / end of turn).</summary>
    public const string Stop = "stop";

    /// <summary>The token limit was reached.</summary>
    public const string Length = "length";

    /// <summary>A stop sequence ended the answer (found by the service or by our cut).</summary>
    public const string StopSequence = "stop_sequence";

    /// <summary>A content filter or guardrail ended the answer.</summary>
    public const string ContentFilter = "content_filter";

    /// <summary>The model asked for a tool call.</summary>
    public const string ToolCalls = "tool_calls";

    public static string? Normalize(string? serviceReason)
    {
        if (string.IsNullOrWhiteSpace(serviceReason)) return null;
        var reason = serviceReason!.Trim().ToLowerInvariant();
        switch (reason)
        {
            case "stop":
            case "end_turn":
            case "end":
            case "eos":
            case "eos_token":
            case "end_of_text":
                return Stop;
            case "length":
            case "max_tokens":
            case "max_length":
            case "max_gen_len":
            case "model_length":
                return Length;
            case "stop_sequence":
            case "stop_string":
                return StopSequence;
            case "content_filter":
            case "content_filtered":
            case "guardrail_intervened":
                return ContentFilter;
            case "tool_calls":
            case "tool_use":
            case "function_call":
                return ToolCalls;
            default:
                return reason;
        }
    }
}

using System.Text;
using System.Text.Json;

namespace BedrockImport.Engine.Invocation;

/// <summary>Builds InvokeModel bodies for the three imported-model formats (bedrock-wire-protocol.md §5.5, §8.7).
/// Streaming is a separate operation (InvokeModelWithResponseStream), so no body carries a "stream" member.
/// <para>Default format: BedrockCompletion, which every imported model accepts (before and after the Nov 2025 formats).
/// Messages (or a prompt with a system prompt) meeting a completion format are rendered with the model's chat
/// template; without a template they are sent as OpenAIChat instead. AnswerChoices go out as vLLM's
/// <c>structured_outputs: {"choice": [...]}</c> in the OpenAI formats (models imported after 2025-11-11).</para>
/// <para>Ranges: MaxTokens ≥ 1 (default <see cref="DefaultMaxTokens"/>), Temperature 0..2, TopP above 0 up to 1,
/// TopK ≥ 1, stop sequences non-empty strings. top_k is sent in every format when given (vLLM reads it as an
/// extra sampling parameter).</para></summary>
public static class InvocationRequestBuilder
{
    /// <summary>Sent when MaxTokens is not given: the OpenAI completion default of vLLM servers is 16 tokens,
    /// which silently truncates answers.</summary>
    public const int DefaultMaxTokens = 512;

    public const InvocationFormat DefaultFormat = InvocationFormat.BedrockCompletion;

    public const double MaxTemperature = 2.0;

    /// <summary>The most answer choices one request may constrain the answer to.</summary>
    public const int MaxAnswerChoices = 64;

    /// <summary>The format a request will be sent in: the requested one (default BedrockCompletion; with AnswerChoices,
    /// OpenAICompletion for a prompt and OpenAIChat for messages, as structured outputs need an OpenAI format), except
    /// that a conversation meeting a completion format without a chat template goes out as OpenAIChat.</summary>
    public static InvocationFormat ResolveFormat(InvocationRequest request)
    {
        var format = request.Format ?? (request.AnswerChoices != null
            ? request.Messages != null ? InvocationFormat.OpenAIChat : InvocationFormat.OpenAICompletion
            : DefaultFormat);
        if (format != InvocationFormat.OpenAIChat && IsConversation(request) && request.ChatTemplate == null)
            return InvocationFormat.OpenAIChat;
        return format;
    }

    /// <exception cref="InvocationValidationException">A parameter is out of range or the prompt/messages are unusable.</exception>
    /// <exception cref="ChatTemplateException">The chat template failed (ChatTemplateRaisedException: it refused the conversation).</exception>
    public static PreparedInvocation Build(InvocationRequest request)
    {
        if (request == null) throw new ArgumentNullException(nameof(request));
        Validate(request);
        var format = ResolveFormat(request);
        if (request.AnswerChoices != null && format == InvocationFormat.BedrockCompletion)
            throw new InvocationValidationException(
                "Answer choices are sent as structured outputs, which need an OpenAI format (-Format OpenAICompletion or OpenAIChat) and a model imported after 2025-11-11; the BedrockCompletion format has no such field.",
                "Format");
        var stops = request.StopSequences?.ToArray() ?? Array.Empty<string>();

        if (!IsConversation(request) && format != InvocationFormat.OpenAIChat)
        {
            var prompt = request.Prompt!;
            return new PreparedInvocation(format, WriteBody(format, prompt, null, request, stops), prompt, null, stops, false);
        }

        var messages = Conversation(request);
        if (format == InvocationFormat.OpenAIChat)
        {
            var lastUser = messages.LastOrDefault(m => m.Role == ChatRoles.User)?.Content;
            return new PreparedInvocation(format, WriteBody(format, null, messages, request, stops), lastUser, messages, stops, false);
        }

        var rendered = Render(request, messages, addGenerationPrompt: true).Prompt;
        return new PreparedInvocation(format, WriteBody(format, rendered, null, request, stops), rendered, messages, stops, true);
    }

    /// <summary>The prompt the request's chat template makes of its conversation (SystemPrompt, Messages or Prompt) and
    /// tools, exactly as <see cref="Build"/> sends it when <paramref name="addGenerationPrompt"/> is true: a leading
    /// bos_token is dropped unless KeepBosToken (the service adds one).</summary>
    /// <exception cref="InvocationValidationException">The request is unusable or has no chat template.</exception>
    /// <exception cref="ChatTemplateException">The chat template failed.</exception>
    public static RenderedPrompt RenderPrompt(InvocationRequest request, bool addGenerationPrompt = true)
    {
        if (request == null) throw new ArgumentNullException(nameof(request));
        Validate(request);
        if (request.ChatTemplate == null) throw new InvocationValidationException("The model has no chat template to render.", "ChatTemplate");
        return Render(request, Conversation(request), addGenerationPrompt);
    }

    private static RenderedPrompt Render(InvocationRequest request, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var template = request.ChatTemplate!;
        var rendered = template.Render(messages, addGenerationPrompt, TemplateVariables(request));
        string? dropped = null;
        if (!request.KeepBosToken && !string.IsNullOrEmpty(template.BosToken) && rendered.StartsWith(template.BosToken!, StringComparison.Ordinal))
        {
            dropped = template.BosToken;
            rendered = rendered.Substring(template.BosToken!.Length);
        }
        return new RenderedPrompt(rendered, dropped, messages);
    }

    /// <summary>The request's template variables, with <c>tools</c> in transformers' shape when it has tools
    /// (a <c>tools</c> the caller set among TemplateVariables wins).</summary>
    private static IReadOnlyDictionary<string, object?>? TemplateVariables(InvocationRequest request)
    {
        if (request.Tools == null || request.Tools.Count == 0) return request.TemplateVariables;
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal) { ["tools"] = ToolDefinition.ToTemplateValues(request.Tools) };
        if (request.TemplateVariables != null)
            foreach (var variable in request.TemplateVariables) variables[variable.Key] = variable.Value;
        return variables;
    }

    /// <summary>A caller-built body, sent as is. It must be a JSON object; its "prompt" (or last user message) and
    /// "stop" are read so the answer can be labelled and stop sequences enforced. The format is guessed from the
    /// members (messages → OpenAIChat, max_tokens → OpenAICompletion, max_gen_len → BedrockCompletion).</summary>
    /// <exception cref="InvocationValidationException">The body is not a JSON object.</exception>
    public static PreparedInvocation FromBody(string json) => FromBody(Encoding.UTF8.GetBytes(json ?? ""));

    public static PreparedInvocation FromBody(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new InvocationValidationException("The body is not valid JSON: " + e.Message, "Body");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvocationValidationException("The body must be a JSON object, not " + root.ValueKind + ".", "Body");

            InvocationFormat? format = null;
            string? prompt = ResponseJson.String(root, "prompt");
            List<ChatMessage>? messages = null;
            if (ResponseJson.Property(root, "messages")?.ValueKind == JsonValueKind.Array)
            {
                format = InvocationFormat.OpenAIChat;
                messages = new List<ChatMessage>();
                foreach (var message in root.GetProperty("messages").EnumerateArray())
                {
                    var role = ResponseJson.String(message, "role");
                    var content = ResponseJson.Text(message, "content");
                    if (role != null && content != null) messages.Add(new ChatMessage(role, content));
                }
                prompt ??= messages.LastOrDefault(m => m.Role == ChatRoles.User)?.Content;
            }
            else if (root.TryGetProperty("max_tokens", out _)) format = InvocationFormat.OpenAICompletion;
            else if (root.TryGetProperty("max_gen_len", out _)) format = InvocationFormat.BedrockCompletion;

            var stops = new List<string>();
            var stop = ResponseJson.Property(root, "stop");
            if (stop?.ValueKind == JsonValueKind.String && stop.Value.GetString()!.Length > 0) stops.Add(stop.Value.GetString()!);
            if (stop?.ValueKind == JsonValueKind.Array)
                foreach (var item in stop.Value.EnumerateArray())
                    if (item.ValueKind == JsonValueKind.String && item.GetString()!.Length > 0) stops.Add(item.GetString()!);

            return new PreparedInvocation(format, body, prompt, messages, stops, false);
        }
    }

    /// <summary>Messages, a system prompt or tools make a conversation (a prompt alone is sent as raw text); tools need a
    /// template or the OpenAI chat format to reach the model.</summary>
    private static bool IsConversation(InvocationRequest request) =>
        request.Messages != null || request.SystemPrompt != null || request.Tools is { Count: > 0 };

    /// <summary>SystemPrompt first, then Messages; a lone Prompt (with a SystemPrompt, or sent as OpenAIChat) becomes one user message.</summary>
    private static IReadOnlyList<ChatMessage> Conversation(InvocationRequest request)
    {
        var messages = new List<ChatMessage>();
        if (request.SystemPrompt != null) messages.Add(new ChatMessage(ChatRoles.System, request.SystemPrompt));
        if (request.Messages != null) messages.AddRange(request.Messages);
        else messages.Add(new ChatMessage(ChatRoles.User, request.Prompt!));
        return messages;
    }

    internal static void Validate(InvocationRequest request)
    {
        if (request.Messages != null && request.Prompt != null)
            throw new InvocationValidationException("Give either a prompt or messages, not both.", "Messages");
        if (request.Messages == null)
        {
            if (string.IsNullOrWhiteSpace(request.Prompt))
                throw new InvocationValidationException("The prompt is empty.", "Prompt");
        }
        else
        {
            if (request.Messages.Count == 0)
                throw new InvocationValidationException("Messages is empty.", "Messages");
            for (var i = 0; i < request.Messages.Count; i++)
            {
                var message = request.Messages[i];
                if (message == null)
                    throw new InvocationValidationException("Message " + i + " is null.", "Messages");
                if (!ChatRoles.IsKnown(message.Role))
                    throw new InvocationValidationException("Message " + i + " has role '" + message.Role + "'; use system, user or assistant.", "Messages");
                if (message.Content == null)
                    throw new InvocationValidationException("Message " + i + " has no content.", "Messages");
                if (message.Role == ChatRoles.System && request.SystemPrompt != null)
                    throw new InvocationValidationException("Messages has a system message and a SystemPrompt was given too; use one.", "SystemPrompt");
            }
        }
        if (request.MaxTokens is int max && max < 1)
            throw new InvocationValidationException("MaxTokens must be at least 1 (was " + max + ").", "MaxTokens");
        if (request.Temperature is double temperature && !(temperature >= 0 && temperature <= MaxTemperature))
            throw new InvocationValidationException("Temperature must be between 0 and 2 (was " + temperature + ").", "Temperature");
        if (request.TopP is double topP && !(topP > 0 && topP <= 1))
            throw new InvocationValidationException("TopP must be greater than 0 and at most 1 (was " + topP + ").", "TopP");
        if (request.TopK is int topK && topK < 1)
            throw new InvocationValidationException("TopK must be at least 1 (was " + topK + ").", "TopK");
        if (!string.IsNullOrEmpty(request.ToolChoice))
        {
            if (request.Tools == null || request.Tools.Count == 0)
                throw new InvocationValidationException("A tool choice needs tools.", "ToolChoice");
            if (!KnownToolChoices.Contains(request.ToolChoice!, StringComparer.OrdinalIgnoreCase) && request.Tools.All(t => t.Name != request.ToolChoice))
                throw new InvocationValidationException("The tool choice '" + request.ToolChoice + "' is none of auto, any, none or a tool's name.", "ToolChoice");
        }
        if (request.StopSequences != null)
            foreach (var stop in request.StopSequences)
                if (string.IsNullOrEmpty(stop))
                    throw new InvocationValidationException("A stop sequence must not be empty.", "StopSequence");
        if (request.AnswerChoices != null) ValidateAnswerChoices(request.AnswerChoices);
    }

    private static void ValidateAnswerChoices(IReadOnlyList<string> choices)
    {
        if (choices.Count == 0)
            throw new InvocationValidationException("Give at least one answer choice.", "AnswerChoices");
        if (choices.Count > MaxAnswerChoices)
            throw new InvocationValidationException("At most " + MaxAnswerChoices + " answer choices can be given (were " + choices.Count + ").", "AnswerChoices");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < choices.Count; i++)
        {
            if (string.IsNullOrEmpty(choices[i]))
                throw new InvocationValidationException("Answer choice " + i + " is empty.", "AnswerChoices");
            if (!seen.Add(choices[i]))
                throw new InvocationValidationException("The answer choice '" + choices[i] + "' is given twice.", "AnswerChoices");
        }
    }

    private static byte[] WriteBody(InvocationFormat format, string? prompt, IReadOnlyList<ChatMessage>? messages, InvocationRequest request, string[] stops)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            if (format == InvocationFormat.OpenAIChat)
            {
                writer.WriteStartArray("messages");
                foreach (var message in messages!)
                {
                    writer.WriteStartObject();
                    writer.WriteString("role", message.Role);
                    writer.WriteString("content", message.Content);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteString("prompt", prompt);
            }
            writer.WriteNumber(format == InvocationFormat.BedrockCompletion ? "max_gen_len" : "max_tokens", request.MaxTokens ?? DefaultMaxTokens);
            if (request.Temperature is double temperature) writer.WriteNumber("temperature", temperature);
            if (request.TopP is double topP) writer.WriteNumber("top_p", topP);
            if (request.TopK is int topK) writer.WriteNumber("top_k", topK);
            if (stops.Length > 0)
            {
                writer.WriteStartArray("stop");
                foreach (var stop in stops) writer.WriteStringValue(stop);
                writer.WriteEndArray();
            }
            if (format == InvocationFormat.OpenAIChat && request.Tools is { Count: > 0 } tools) WriteTools(writer, tools, request.ToolChoice);
            if (format != InvocationFormat.BedrockCompletion && request.AnswerChoices is { } choices)
            {
                writer.WriteStartObject("structured_outputs");
                writer.WriteStartArray("choice");
                foreach (var choice in choices) writer.WriteStringValue(choice);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    private static readonly string[] KnownToolChoices = { "auto", "any", "none" };

    /// <summary>OpenAI's tools and tool_choice (auto, none, required for any, or {"type":"function","function":{"name"}}).</summary>
    private static void WriteTools(Utf8JsonWriter writer, IReadOnlyList<ToolDefinition> tools, string? toolChoice)
    {
        writer.WritePropertyName("tools");
        writer.WriteStartArray();
        foreach (var tool in tools) tool.ToOpenAI().WriteTo(writer);
        writer.WriteEndArray();
        if (string.IsNullOrEmpty(toolChoice)) return;
        if (string.Equals(toolChoice, "auto", StringComparison.OrdinalIgnoreCase) || string.Equals(toolChoice, "none", StringComparison.OrdinalIgnoreCase))
            writer.WriteString("tool_choice", toolChoice!.ToLowerInvariant());
        else if (string.Equals(toolChoice, "any", StringComparison.OrdinalIgnoreCase))
            writer.WriteString("tool_choice", "required");
        else
        {
            writer.WriteStartObject("tool_choice");
            writer.WriteString("type", "function");
            writer.WriteStartObject("function");
            writer.WriteString("name", toolChoice);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Json;
using BedrockImport.Shared;

namespace BedrockImport.Engine.Invocation;

/// <summary>The same asking and the same answer across APIs: an <see cref="InvocationRequest"/> as a Converse request,
/// and a Converse answer (plain or streamed) as an <see cref="InvocationResult"/> with the stop reason in one vocabulary.</summary>
public static class ConverseInvocation
{
    /// <summary>Converse's request limit is the InvokeModel body limit too.</summary>
    public const int MaxBodyBytes = ImportedModelInvoker.MaxBodyBytes;

    /// <summary>System prompt and system-role messages become system blocks (in order); user and assistant messages stay
    /// messages; a prompt is one user message. maxTokens defaults as for InvokeModel, so both APIs stop at the same
    /// length; topK goes in additionalModelRequestFields.top_k, which Converse has no member for.</summary>
    /// <exception cref="InvocationValidationException">A parameter is out of range or the prompt/messages are unusable.</exception>
    public static ConverseRequest Build(string modelId, InvocationRequest request)
    {
        if (request == null) throw new ArgumentNullException(nameof(request));
        InvocationRequestBuilder.Validate(request);
        var converse = new ConverseRequest { ModelId = modelId };
        var system = new List<SystemContentBlock>();
        if (request.SystemPrompt != null) system.Add(new SystemContentBlock { Text = request.SystemPrompt });
        if (request.Messages == null)
        {
            converse.Messages.Add(ConverseMessage.FromText(ConverseRoles.User, request.Prompt!));
        }
        else
        {
            foreach (var message in request.Messages)
            {
                if (message.Role == ChatRoles.System) system.Add(new SystemContentBlock { Text = message.Content });
                else converse.Messages.Add(ConverseMessage.FromText(message.Role == ChatRoles.Assistant ? ConverseRoles.Assistant : ConverseRoles.User, message.Content));
            }

            if (converse.Messages.Count == 0)
                throw new InvocationValidationException("Converse needs at least one user message besides the system messages.", "Messages");
        }

        if (system.Count > 0) converse.System = system;
        converse.InferenceConfig = new InferenceConfiguration
        {
            MaxTokens = request.MaxTokens ?? InvocationRequestBuilder.DefaultMaxTokens,
            Temperature = request.Temperature is double temperature ? (float)temperature : null,
            TopP = request.TopP is double topP ? (float)topP : null,
            StopSequences = request.StopSequences is { Count: > 0 } stops ? stops.ToList() : null,
        };
        if (request.TopK is int topK) converse.AdditionalModelRequestFields = new JsonObject { ["top_k"] = topK };
        converse.ToolConfig = ToolDefinition.ToConverseToolConfig(request.Tools, request.ToolChoice);
        return converse;
    }

    /// <summary>A caller-built Converse body (messages, system, inferenceConfig, additionalModelRequestFields as the
    /// service names them), sent to <paramref name="modelId"/>. Its inferenceConfig.stopSequences are enforced on our side.</summary>
    /// <exception cref="InvocationValidationException">The body is not a JSON object of Converse's shape.</exception>
    public static ConverseRequest FromBody(string modelId, byte[] body)
    {
        ConverseRequest? parsed;
        try
        {
            using var document = StrictJson.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvocationValidationException("The body must be a JSON object, not " + document.RootElement.ValueKind + ".", "Body");
            parsed = document.RootElement.Deserialize<ConverseRequest>(EngineJson.Options);
        }
        catch (JsonException e)
        {
            throw new InvocationValidationException("The body is not a Converse request: " + e.Message, "Body");
        }

        if (parsed == null || parsed.Messages.Count == 0)
            throw new InvocationValidationException("A Converse body needs a 'messages' array with at least one message.", "Body");
        parsed.ModelId = modelId;
        return parsed;
    }

    public static ConverseRequest FromBody(string modelId, string json) => FromBody(modelId, Encoding.UTF8.GetBytes(json ?? ""));

    /// <summary>The last user message's text: what the answer is labelled with.</summary>
    public static string? LastUserText(ConverseRequest request)
        => request.Messages.LastOrDefault(m => m.Role == ConverseRoles.User) is { } last ? Text(last.Content) : null;

    /// <summary>The serialized request's size, checked against <see cref="MaxBodyBytes"/>.</summary>
    /// <exception cref="InvocationValidationException">The request is larger than the service accepts.</exception>
    public static void CheckSize(ConverseRequest request)
    {
        var size = JsonSerializer.SerializeToUtf8Bytes(request, EngineJson.Options).Length;
        if (size > MaxBodyBytes)
            throw new InvocationValidationException(
                $"The Converse request is {size:N0} bytes; the service accepts at most {MaxBodyBytes:N0}. Shorten the prompt.", "Prompt");
    }

    /// <summary>A Converse answer, cut at the first stop sequence even when the service ignored stopSequences.</summary>
    public static InvocationResult ToResult(ConverseResponse response, StopSequenceSet stops)
    {
        if (response == null) throw new ArgumentNullException(nameof(response));
        var raw = ToPlain(response);
        var serviceReason = response.StopReason;
        ConverseStops.Apply(response, stops ?? StopSequenceSet.None);
        var content = response.Output?.Message?.Content;
        var result = new InvocationResult
        {
            Completion = content == null || content.All(c => c?.Text == null) ? null : Text(content),
            ServiceStopReason = serviceReason,
            InputTokens = response.Usage?.InputTokens,
            OutputTokens = response.Usage?.OutputTokens,
            ServiceLatencyMs = response.Metrics?.LatencyMs,
            RequestId = response.RequestId,
            Raw = raw,
        };
        result.ToolCalls = ToolCall.FromConverse(response);
        InvocationResponseParser.SetStopReason(result, response.ClientStopSequence);
        return result;
    }

    /// <summary>Events as plain objects, each one {eventType: payload} as the wire has them.</summary>
    internal static object? ToPlain(ConverseStreamEvent item)
    {
        using var document = JsonDocument.Parse(item.Payload ?? JsonSerializer.SerializeToUtf8Bytes(item, EngineJson.Options));
        var map = new System.Collections.Specialized.OrderedDictionary { [item.EventType] = ResponseJson.ToPlain(document.RootElement) };
        return map;
    }

    private static object? ToPlain(ConverseResponse response)
    {
        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(response, EngineJson.Options));
        return ResponseJson.ToPlain(document.RootElement);
    }

    private static string Text(IEnumerable<ContentBlock?> content)
        => string.Concat(content.Where(c => c?.Text != null).Select(c => c!.Text));
}

using System.Text.Json;
using BedrockImport.Engine.Bedrock;

namespace BedrockImport.Engine.Invocation;

/// <summary>Reads a non-streamed InvokeModel answer of any of the three formats (bedrock-wire-protocol.md §5.5, §8.7).</summary>
public static class InvocationResponseParser
{
    /// <summary>Parses the body, cuts the answer at the first stop sequence, and takes token counts from the body,
    /// falling back to the x-amzn-bedrock-*-token-count headers the wire client captured. Sets RequestId.</summary>
    /// <exception cref="InvocationResponseFormatException">The body is empty, not JSON, or not a JSON object/array.</exception>
    public static InvocationResult Parse(InvokeModelResult response, StopSequenceSet? stopSequences = null)
    {
        var result = Parse(response.Body, stopSequences, response.InputTokenCount, response.OutputTokenCount);
        result.RequestId = response.RequestId;
        return result;
    }

    public static InvocationResult Parse(byte[] body, StopSequenceSet? stopSequences = null, int? headerInputTokens = null, int? headerOutputTokens = null)
    {
        using var document = ResponseJson.ParseDocument(body, "model response");
        var root = document.RootElement;
        // Text Generation Inference style answers are a one-element array: [{"generated_text": ...}].
        if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 && root[0].ValueKind == JsonValueKind.Object)
            root = root[0];
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvocationResponseFormatException("The model response is JSON but not an object (" + root.ValueKind + ").");

        var result = new InvocationResult
        {
            Completion = ExtractText(root),
            ServiceStopReason = ExtractStopReason(root, out var serviceMatchedStop),
            InputTokens = ExtractInputTokens(root) ?? headerInputTokens,
            OutputTokens = ExtractOutputTokens(root) ?? headerOutputTokens,
            Raw = ResponseJson.ToPlain(document.RootElement),
            ToolCalls = ToolCall.FromOpenAIChat(root),
        };
        ApplyStop(result, stopSequences ?? StopSequenceSet.None, serviceMatchedStop);
        return result;
    }

    /// <summary>generation → choices[0].message.content → choices[0].text → outputs[0].text → output_text / generated_text / text.</summary>
    internal static string? ExtractText(JsonElement root) =>
        ResponseJson.String(root, "generation")
        ?? ResponseJson.Text(root, "choices", 0, "message", "content")
        ?? ResponseJson.String(root, "choices", 0, "text")
        ?? ResponseJson.String(root, "outputs", 0, "text")
        ?? ResponseJson.String(root, "output_text")
        ?? ResponseJson.String(root, "generated_text")
        ?? ResponseJson.String(root, "text");

    /// <summary>The service's own reason: choices[0].finish_reason, stop_reason, outputs[0].stop_reason.
    /// vLLM also reports the stop string it matched as choices[0].stop_reason (<paramref name="matchedStop"/>).</summary>
    internal static string? ExtractStopReason(JsonElement root, out string? matchedStop)
    {
        matchedStop = null;
        var finish = ResponseJson.String(root, "choices", 0, "finish_reason");
        if (finish != null)
        {
            if (finish == "stop") matchedStop = ResponseJson.String(root, "choices", 0, "stop_reason");
            return finish;
        }
        return ResponseJson.String(root, "stop_reason") ?? ResponseJson.String(root, "outputs", 0, "stop_reason");
    }

    internal static int? ExtractInputTokens(JsonElement root) =>
        ResponseJson.Int(root, "prompt_token_count")
        ?? ResponseJson.Int(root, "usage", "prompt_tokens")
        ?? ResponseJson.Int(root, "usage", "input_tokens")
        ?? ResponseJson.Int(root, "amazon-bedrock-invocationMetrics", "inputTokenCount");

    internal static int? ExtractOutputTokens(JsonElement root) =>
        ResponseJson.Int(root, "generation_token_count")
        ?? ResponseJson.Int(root, "usage", "completion_tokens")
        ?? ResponseJson.Int(root, "usage", "output_tokens")
        ?? ResponseJson.Int(root, "amazon-bedrock-invocationMetrics", "outputTokenCount");

    /// <summary>Cuts at the first stop sequence and sets StopReason/StopSequence. When the service honoured a stop
    /// sequence itself (it said so by name), the reason is "stop_sequence" too.</summary>
    internal static void ApplyStop(InvocationResult result, StopSequenceSet stops, string? serviceMatchedStop)
    {
        StopSequenceMatch? match = null;
        if (result.Completion != null && !stops.IsEmpty)
            result.Completion = stops.Cut(result.Completion, out match);
        SetStopReason(result, match?.Sequence ?? serviceMatchedStop);
    }

    internal static void SetStopReason(InvocationResult result, string? stopSequence)
    {
        if (stopSequence != null)
        {
            result.StopReason = StopReasons.StopSequence;
            result.StopSequence = stopSequence;
        }
        else
        {
            result.StopReason = StopReasons.Normalize(result.ServiceStopReason);
        }
    }
}

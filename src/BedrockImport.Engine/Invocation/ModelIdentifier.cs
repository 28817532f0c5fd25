using System.Text.RegularExpressions;
using BedrockImport.Engine.Import;

namespace BedrockImport.Engine.Invocation;

/// <summary>What a -ModelId names. Imported models are the only ones a name is looked up for and the only ones whose
/// InvokeModel bodies this module builds; every other kind is answered through Converse.</summary>
public enum ModelIdKind
{
    ImportedModelArn,
    ImportedModelName,
    FoundationModel,
    FoundationModelArn,
    InferenceProfile,
    InferenceProfileArn,

    /// <summary>A provisioned-throughput, custom-model or custom-model-deployment ARN (or another Bedrock model ARN).</summary>
    OtherModelArn,
}

/// <summary>Tells the kinds of model id apart, in one place.</summary>
public static class ModelIdentifier
{
    /// <summary>The geographic prefixes of cross-region inference profiles (us.anthropic..., global.amazon...).</summary>
    public static readonly IReadOnlyList<string> InferenceProfilePrefixes = new[] { "us", "eu", "apac", "global", "us-gov", "ca", "jp", "au" };

    // provider.model[-version][:n[:context]]: a dot is what sets a foundation model id apart from an imported-model name,
    // which cannot hold one (BedrockPatterns.ModelNamePattern).
    private const string FoundationIdPattern = @"[a-z0-9-]{1,63}\.[a-z0-9][a-z0-9._-]{0,127}(:[a-z0-9-]{1,63}){0,2}";

    private static readonly Regex FoundationId = Anchored(FoundationIdPattern);
    private static readonly Regex ProfileId = Anchored("(" + string.Join("|", InferenceProfilePrefixes.Select(Regex.Escape)) + @")\." + FoundationIdPattern);
    private static readonly Regex FoundationArn = Anchored(@"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}::foundation-model/" + FoundationIdPattern);
    private static readonly Regex ProfileArn = Anchored(@"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:(application-)?inference-profile/[a-zA-Z0-9._:-]{1,200}");
    private static readonly Regex BedrockArn = Anchored(@"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{0,12}:[a-z-]+/.+");

    // A batch names one model many times: the last answer is kept so the patterns run once per model, not once or more
    // per request (nor become hot code for the tiered JIT to recompile in a short process).
    private static Tuple<string, ModelIdKind>? _lastClassified;

    public static ModelIdKind Classify(string modelId)
    {
        var last = Volatile.Read(ref _lastClassified);
        if (last != null && string.Equals(last.Item1, modelId, StringComparison.Ordinal)) return last.Item2;
        var kind = ClassifyUncached(modelId);
        Volatile.Write(ref _lastClassified, Tuple.Create(modelId, kind));
        return kind;
    }

    private static ModelIdKind ClassifyUncached(string modelId)
    {
        if (string.IsNullOrWhiteSpace(modelId)) throw new InvocationValidationException("The model id is empty.", "ModelId");
        if (BedrockPatterns.ImportedModelArn.IsMatch(modelId)) return ModelIdKind.ImportedModelArn;
        if (FoundationArn.IsMatch(modelId)) return ModelIdKind.FoundationModelArn;
        if (ProfileArn.IsMatch(modelId)) return ModelIdKind.InferenceProfileArn;
        if (BedrockArn.IsMatch(modelId)) return ModelIdKind.OtherModelArn;
        if (ProfileId.IsMatch(modelId)) return ModelIdKind.InferenceProfile;
        if (FoundationId.IsMatch(modelId)) return ModelIdKind.FoundationModel;
        return ModelIdKind.ImportedModelName;
    }

    public static bool IsImported(this ModelIdKind kind) => kind == ModelIdKind.ImportedModelArn || kind == ModelIdKind.ImportedModelName;

    /// <summary>Bedrock's own models and inference profiles: reachable through Converse only here, since the InvokeModel
    /// bodies this module builds are the imported-model formats.</summary>
    public static bool IsFoundation(this ModelIdKind kind) => kind == ModelIdKind.FoundationModel || kind == ModelIdKind.FoundationModelArn
        || kind == ModelIdKind.InferenceProfile || kind == ModelIdKind.InferenceProfileArn;

    /// <summary>The API to use: the one asked for, or InvokeModel for an imported model and Converse for anything else.</summary>
    /// <exception cref="InvocationValidationException">InvokeModel was asked for a model that is not an imported model
    /// (a foundation model, an inference profile, a provisioned or custom model): its body format is not one we build.</exception>
    public static RuntimeApi ResolveApi(string modelId, RuntimeApi? requested)
    {
        var kind = Classify(modelId);
        if (requested == RuntimeApi.InvokeModel && !kind.IsImported())
        {
            var what = kind.IsFoundation() ? "a Bedrock foundation model or inference profile" : "a Bedrock model ARN that is not an imported model";
            throw new InvocationValidationException(
                $"'{modelId}' is {what}; the InvokeModel bodies this module builds are the imported-model formats. " +
                "Use -Api Converse (or omit -Api) for this model.", "Api");
        }

        return requested ?? (kind.IsImported() ? RuntimeApi.InvokeModel : RuntimeApi.Converse);
    }

    private static Regex Anchored(string pattern)
        => new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}

/// <summary>The runtime operation pair a request goes through.</summary>
public enum RuntimeApi
{
    /// <summary>InvokeModel / InvokeModelWithResponseStream with an imported-model body.</summary>
    InvokeModel,

    /// <summary>Converse / ConverseStream: messages, the service renders them with the model's chat template.</summary>
    Converse,
}

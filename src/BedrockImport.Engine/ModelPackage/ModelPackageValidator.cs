using System.Globalization;
using System.Text.Json;
using BedrockImport.Engine.Sources;

namespace BedrockImport.Engine.ModelPackage;

public sealed class ModelPackageValidatorOptions
{
    /// <summary>Replaces the per-family size limit (200 GB text, 100 GB multimodal). Null keeps the service's limits.</summary>
    public long? MaxTotalBytes { get; set; }
}

/// <summary>Checks a Hugging Face model folder the way a Custom Model Import job does, reading only the small JSON
/// files and the safetensors headers. Every finding has its own code in ModelPackageProblemCodes.</summary>
public static class ModelPackageValidator
{
    public const string ConfigFile = "config.json";
    public const string IndexFile = "model.safetensors.index.json";
    public const string TokenizerFile = "tokenizer.json";
    public const string SentencePieceFile = "tokenizer.model";
    public const string TokenizerConfigFile = "tokenizer_config.json";
    public const string ChatTemplateFile = "chat_template.jinja";

    /// <summary>Small JSON files larger than this are not parsed (a config or index is a few MB at most).</summary>
    private const long MaxJsonFileBytes = 64L * 1024 * 1024;

    public static ModelPackageReport Validate(IModelSource source, ModelPackageValidatorOptions? options = null) =>
        ValidateAsync(source, options, CancellationToken.None).GetAwaiter().GetResult();

    public static async Task<ModelPackageReport> ValidateAsync(IModelSource source, ModelPackageValidatorOptions? options, CancellationToken cancellationToken)
    {
        if (source == null) throw new ArgumentNullException(nameof(source));
        var files = await source.ListFilesAsync(cancellationToken).ConfigureAwait(false);
        var report = new ModelPackageReport
        {
            Location = source.Location,
            Files = files,
            TotalBytes = files.Sum(f => f.Length),
        };
        // Bedrock reads the files at the top of the prefix; anything in sub-folders is ignored (but still counted in size).
        var topLevel = files.Where(f => f.Path.IndexOf('/') < 0).ToDictionary(f => f.Path, StringComparer.Ordinal);

        var family = await CheckConfigAsync(source, topLevel, report, cancellationToken).ConfigureAwait(false);
        await CheckTokenizerAsync(source, topLevel, report, cancellationToken).ConfigureAwait(false);
        var headers = await CheckWeightsAsync(source, topLevel, report, family, cancellationToken).ConfigureAwait(false);
        await CheckIndexAsync(source, topLevel, report, headers, cancellationToken).ConfigureAwait(false);
        CheckSize(report, family, options);
        return report;
    }

    private static async Task<SupportedArchitecture?> CheckConfigAsync(IModelSource source, Dictionary<string, ModelSourceFile> files,
        ModelPackageReport report, CancellationToken cancellationToken)
    {
        if (!files.TryGetValue(ConfigFile, out var configEntry))
        {
            report.Error(ModelPackageProblemCodes.ConfigMissing,
                "config.json is missing from the top of the model folder. Custom Model Import needs the Hugging Face config.json next to the weights: save the model with transformers save_pretrained, or copy config.json from the base model.");
            return null;
        }

        var config = await ReadJsonObjectAsync(source, configEntry, cancellationToken).ConfigureAwait(false);
        if (config.Error != null)
        {
            report.Error(ModelPackageProblemCodes.ConfigInvalidJson, "config.json is not a JSON object (" + config.Error + "). Restore it from the base model or re-save the model.", ConfigFile);
            return null;
        }

        using (config.Document)
        {
            var root = config.Document!.RootElement;
            var architectures = new List<string>();
            if (root.TryGetProperty("architectures", out var architecturesElement) && architecturesElement.ValueKind == JsonValueKind.Array)
                architectures.AddRange(architecturesElement.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!));
            var modelType = GetString(root, "model_type");
            report.Architecture = architectures.FirstOrDefault();
            report.ModelType = modelType;

            var textConfig = root.TryGetProperty("text_config", out var text) && text.ValueKind == JsonValueKind.Object ? text : (JsonElement?)null;
            var configDtype = GetString(root, "dtype") ?? GetString(root, "torch_dtype")
                ?? (textConfig.HasValue ? GetString(textConfig.Value, "dtype") ?? GetString(textConfig.Value, "torch_dtype") : null);
            report.ConfigDtype = SafetensorsDtypes.FromTorchName(configDtype) ?? configDtype;
            report.Dtype = report.ConfigDtype;

            var maxPositions = GetInt64(root, "max_position_embeddings") ?? (textConfig.HasValue ? GetInt64(textConfig.Value, "max_position_embeddings") : null);
            report.MaxPositionEmbeddings = maxPositions;
            if (maxPositions >= SupportedArchitectures.MaxContextLength)
                report.Error(ModelPackageProblemCodes.ContextTooLong,
                    "config.json sets max_position_embeddings to " + maxPositions + "; Custom Model Import supports a context length below 128K (" + SupportedArchitectures.MaxContextLength + ") tokens. Lower max_position_embeddings in config.json (e.g. to 32768) before importing.",
                    ConfigFile);

            if (architectures.Count == 0 && string.IsNullOrEmpty(modelType))
            {
                report.Error(ModelPackageProblemCodes.ConfigNoArchitecture,
                    "config.json has neither \"architectures\" nor \"model_type\", so the architecture cannot be detected. Add them as in the base model's config.json (e.g. \"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\").",
                    ConfigFile);
                return null;
            }

            var family = SupportedArchitectures.Find(architectures, modelType);
            if (family == null)
            {
                var what = architectures.Count > 0 ? "architecture " + string.Join(", ", architectures) : "model_type '" + modelType + "'";
                report.Error(ModelPackageProblemCodes.ArchitectureUnsupported,
                    "config.json declares " + what + ", which Custom Model Import does not support. Supported architectures: " + SupportedArchitectures.Describe() + ".",
                    ConfigFile);
                return null;
            }

            if (architectures.Count == 0)
                report.Warning(ModelPackageProblemCodes.ConfigArchitecturesMissing,
                    "config.json has no \"architectures\"; only \"model_type\": \"" + modelType + "\". Custom Model Import reads \"architectures\" to choose the model class: add it as in the base model's config.json (e.g. \"architectures\": [\"" + family.Architectures[0] + "\"]) before importing.",
                    ConfigFile);

            report.Family = family.Family;
            report.Multimodal = family.Multimodal;
            return family;
        }
    }

    private static async Task CheckTokenizerAsync(IModelSource source, Dictionary<string, ModelSourceFile> files, ModelPackageReport report, CancellationToken cancellationToken)
    {
        if (!files.ContainsKey(TokenizerFile) && !files.ContainsKey(SentencePieceFile))
            report.Error(ModelPackageProblemCodes.TokenizerMissing,
                "Neither tokenizer.json nor tokenizer.model is in the model folder. Save the tokenizer next to the model (tokenizer.save_pretrained) or copy the tokenizer files from the base model.");

        var chatTemplate = files.ContainsKey(ChatTemplateFile);
        if (!files.TryGetValue(TokenizerConfigFile, out var tokenizerConfigEntry))
        {
            report.Error(ModelPackageProblemCodes.TokenizerConfigMissing,
                "tokenizer_config.json is missing from the model folder. Save the tokenizer next to the model (tokenizer.save_pretrained) or copy tokenizer_config.json from the base model.");
        }
        else
        {
            var tokenizerConfig = await ReadJsonObjectAsync(source, tokenizerConfigEntry, cancellationToken).ConfigureAwait(false);
            if (tokenizerConfig.Error != null)
            {
                report.Error(ModelPackageProblemCodes.TokenizerConfigInvalidJson,
                    "tokenizer_config.json is not a JSON object (" + tokenizerConfig.Error + "). Restore it from the base model or re-save the tokenizer.", TokenizerConfigFile);
            }
            else
            {
                using (tokenizerConfig.Document)
                {
                    if (tokenizerConfig.Document!.RootElement.TryGetProperty("chat_template", out var template)
                        && ((template.ValueKind == JsonValueKind.String && template.GetString()!.Length > 0)
                            || (template.ValueKind == JsonValueKind.Array && template.GetArrayLength() > 0)))
                        chatTemplate = true;
                }
            }
        }

        report.ChatTemplate = chatTemplate;
        if (!chatTemplate)
            report.Warning(ModelPackageProblemCodes.ChatTemplateMissing,
                "No chat template (no chat_template.jinja and no \"chat_template\" in tokenizer_config.json): the model imports as a base model (instructSupported false), so Converse and chat-style requests will not work. Add the chat template of the base instruct model if you need them.");
    }

    private static async Task<List<(string File, SafetensorsHeader Header)>> CheckWeightsAsync(IModelSource source, Dictionary<string, ModelSourceFile> files,
        ModelPackageReport report, SupportedArchitecture? family, CancellationToken cancellationToken)
    {
        var headers = new List<(string File, SafetensorsHeader Header)>();
        var weightFiles = files.Values.Where(f => f.Path.EndsWith(".safetensors", StringComparison.Ordinal)).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        if (weightFiles.Count == 0)
        {
            var otherWeights = files.Values.Where(f => f.Path.EndsWith(".bin", StringComparison.Ordinal) || f.Path.EndsWith(".pt", StringComparison.Ordinal)
                || f.Path.EndsWith(".pth", StringComparison.Ordinal) || f.Path.EndsWith(".gguf", StringComparison.Ordinal)).Select(f => f.Path).ToList();
            report.Error(ModelPackageProblemCodes.NoSafetensors, otherWeights.Count > 0
                ? "The weights are in " + string.Join(", ", otherWeights.Take(3)) + " but Custom Model Import reads only .safetensors files. Convert them: load the model with transformers and call save_pretrained(folder, safe_serialization=True)."
                : "No .safetensors weight files are in the model folder. Custom Model Import needs the weights in Hugging Face safetensors format next to config.json.");
            return headers;
        }

        foreach (var file in weightFiles)
        {
            try
            {
                headers.Add((file.Path, await SafetensorsHeader.ReadAsync(source, file.Path, file.Length, cancellationToken).ConfigureAwait(false)));
            }
            catch (SafetensorsFormatException e)
            {
                report.Error(e.Code, file.Path + ": " + e.Message, file.Path);
            }
        }

        var tensors = headers.SelectMany(h => h.Header.Tensors.Select(t => (h.File, Tensor: t))).ToList();
        report.ParameterCount = tensors.Sum(t => t.Tensor.ElementCount);
        var dominant = tensors.GroupBy(t => t.Tensor.Dtype).OrderByDescending(g => g.Sum(t => t.Tensor.ElementCount)).FirstOrDefault();
        if (dominant != null) report.Dtype = dominant.Key;

        var unsupported = tensors.Where(t => !SafetensorsDtypes.IsImportable(t.Tensor.Dtype) && !IsAllowedForFamily(family, t.Tensor.Dtype)).ToList();
        if (unsupported.Count > 0)
        {
            var first = unsupported[0];
            var dtypes = string.Join(", ", unsupported.Select(t => t.Tensor.Dtype).Distinct());
            report.Error(ModelPackageProblemCodes.DtypeNotSupported,
                unsupported.Count + " tensor(s) use " + dtypes + " (e.g. '" + first.Tensor.Name + "' in " + first.File + "); Custom Model Import accepts only F32, F16 and BF16 weights. This looks like a quantized checkpoint: import the unquantized (BF16/F16) model instead.",
                first.File);
        }
        return headers;
    }

    // GPT-OSS checkpoints ship MXFP4 expert weights as U8 blocks and scales, and Bedrock imports them as published.
    private static bool IsAllowedForFamily(SupportedArchitecture? family, string dtype) =>
        family != null && family.ModelTypes.Contains("gpt_oss") && dtype == "U8";

    private static async Task CheckIndexAsync(IModelSource source, Dictionary<string, ModelSourceFile> files, ModelPackageReport report,
        List<(string File, SafetensorsHeader Header)> headers, CancellationToken cancellationToken)
    {
        var tensorFiles = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (file, header) in headers)
            foreach (var tensor in header.Tensors)
            {
                if (!tensorFiles.TryGetValue(tensor.Name, out var holders)) tensorFiles[tensor.Name] = holders = new List<string>();
                holders.Add(file);
            }
        foreach (var duplicated in tensorFiles.Where(t => t.Value.Count > 1).Take(1))
            report.Error(ModelPackageProblemCodes.TensorInTwoShards,
                "Tensor '" + duplicated.Key + "' is stored in more than one file (" + string.Join(", ", duplicated.Value) + "), so the weights are ambiguous. Remove the stale shard files and keep only the shards that model.safetensors.index.json lists.",
                duplicated.Value[1]);

        var weightFileCount = files.Keys.Count(p => p.EndsWith(".safetensors", StringComparison.Ordinal));
        if (!files.TryGetValue(IndexFile, out var indexEntry))
        {
            if (weightFileCount > 1)
                report.Warning(ModelPackageProblemCodes.IndexMissing,
                    "There are " + weightFileCount + " .safetensors files but no model.safetensors.index.json. Sharded checkpoints should carry the index written by save_pretrained; copy it from the source folder.");
            return;
        }

        var index = await ReadJsonObjectAsync(source, indexEntry, cancellationToken).ConfigureAwait(false);
        if (index.Error != null)
        {
            report.Error(ModelPackageProblemCodes.IndexInvalid, "model.safetensors.index.json is not a JSON object (" + index.Error + "). Copy the index again from the source folder or re-save the model.", IndexFile);
            return;
        }

        using (index.Document)
        {
            var root = index.Document!.RootElement;
            if (!root.TryGetProperty("weight_map", out var weightMap) || weightMap.ValueKind != JsonValueKind.Object
                || weightMap.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
            {
                report.Error(ModelPackageProblemCodes.IndexInvalid, "model.safetensors.index.json has no \"weight_map\" object of tensor name to shard file. Copy the index again from the source folder or re-save the model.", IndexFile);
                return;
            }

            var map = weightMap.EnumerateObject().GroupBy(p => p.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value.GetString()!, StringComparer.Ordinal);
            var missingShards = map.Values.Distinct(StringComparer.Ordinal).Where(shard => !files.ContainsKey(shard)).OrderBy(s => s, StringComparer.Ordinal).ToList();
            foreach (var shard in missingShards)
                report.Error(ModelPackageProblemCodes.IndexMissingShard,
                    "model.safetensors.index.json maps " + map.Count(p => p.Value == shard) + " tensor(s) to " + shard + ", which is not in the model folder. Upload the missing shard (the copy was probably interrupted).",
                    shard);

            var readable = new HashSet<string>(headers.Select(h => h.File), StringComparer.Ordinal);
            foreach (var (file, header) in headers)
            {
                var unlisted = header.Tensors.Where(t => !map.ContainsKey(t.Name)).ToList();
                if (unlisted.Count > 0)
                    report.Error(ModelPackageProblemCodes.TensorNotInIndex,
                        file + " holds " + unlisted.Count + " tensor(s) that model.safetensors.index.json does not list (e.g. '" + unlisted[0].Name + "'). The index and the shards come from different saves: copy the matching index or re-save the model.",
                        file);
            }

            var misplaced = map.Where(p => readable.Contains(p.Value) && !(tensorFiles.TryGetValue(p.Key, out var holders) && holders.Contains(p.Value))).ToList();
            if (misplaced.Count > 0)
                report.Error(ModelPackageProblemCodes.IndexTensorNotInShard,
                    "model.safetensors.index.json maps " + misplaced.Count + " tensor(s) to shards that do not hold them (e.g. '" + misplaced[0].Key + "' → " + misplaced[0].Value + "). The index and the shards come from different saves: copy the matching index or re-save the model.",
                    IndexFile);

            var allHeadersRead = headers.Count == weightFileCount && missingShards.Count == 0;
            if (allHeadersRead && root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object)
            {
                var declared = GetInt64(metadata, "total_size");
                var actual = headers.Sum(h => h.Header.Tensors.Sum(t => t.ByteLength));
                if (declared.HasValue && declared.Value != actual)
                    report.Warning(ModelPackageProblemCodes.IndexTotalSizeMismatch,
                        "model.safetensors.index.json says total_size " + declared.Value + " but the shards hold " + actual + " bytes of tensor data. The index may come from another save; check that the shards are the intended ones.",
                        IndexFile);
            }
        }
    }

    private static void CheckSize(ModelPackageReport report, SupportedArchitecture? family, ModelPackageValidatorOptions? options)
    {
        var limit = options?.MaxTotalBytes ?? family?.MaxTotalBytes ?? SupportedArchitectures.TextMaxBytes;
        if (report.TotalBytes > limit)
            report.Error(ModelPackageProblemCodes.TotalSizeOverLimit,
                "The model folder holds " + FormatBytes(report.TotalBytes) + ", over the " + FormatBytes(limit) + " limit of Custom Model Import for "
                + (family?.Multimodal == true ? "multimodal" : "text") + " models. Remove files the model does not need (optimizer states, checkpoints, .bin copies) or import a smaller model.");
    }

    internal static string FormatBytes(long bytes)
    {
        if (bytes >= 1000L * 1000 * 1000) return (bytes / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " GB";
        if (bytes >= 1000L * 1000) return (bytes / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + " MB";
        return bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
    }

    private static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? GetInt64(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : (long?)null;

    private struct JsonRead
    {
        public JsonDocument? Document;
        public string? Error;
    }

    private static async Task<JsonRead> ReadJsonObjectAsync(IModelSource source, ModelSourceFile file, CancellationToken cancellationToken)
    {
        if (file.Length > MaxJsonFileBytes)
            return new JsonRead { Error = "the file is " + FormatBytes(file.Length) + ", too large for a JSON settings file" };
        byte[] bytes;
        try
        {
            bytes = await SafetensorsHeader.ReadExactlyAsync(source, file.Path, 0, (int)file.Length, cancellationToken).ConfigureAwait(false);
        }
        catch (SafetensorsFormatException)
        {
            return new JsonRead { Error = "the file is shorter than listed" };
        }
        try
        {
            var start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
            var document = JsonDocument.Parse(new ReadOnlyMemory<byte>(bytes, start, bytes.Length - start), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (document.RootElement.ValueKind == JsonValueKind.Object) return new JsonRead { Document = document };
            document.Dispose();
            return new JsonRead { Error = "the top level is not an object" };
        }
        catch (JsonException e)
        {
            var message = e.Message;
            var newline = message.IndexOf('\n');
            return new JsonRead { Error = newline < 0 ? message : message.Substring(0, newline) };
        }
    }
}

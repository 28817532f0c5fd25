using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Sources;
using Codes = BedrockImport.Engine.ModelPackage.ModelPackageProblemCodes;

namespace BedrockImport.Engine.Tests.ModelPackage;

public class ModelPackageValidatorTests
{
    private static (ModelPackageReport Report, SyntheticModelInfo Info) WriteAndValidate(TempFolder temp, SyntheticModelOptions options)
    {
        var info = SyntheticModel.Write(temp.Sub("model"), options);
        var report = ModelPackageValidator.Validate(new LocalFolderSource(info.Folder));
        return (report, info);
    }

    private static long ExpectedLlamaParameters(SyntheticModelInfo info, int headDim, int keyValueHeads)
    {
        long h = info.HiddenSize, i = info.IntermediateSize, kv = keyValueHeads * headDim, v = SyntheticModel.VocabSize;
        var perLayer = 2 * h /* norms */ + 3 * h * i /* mlp */ + 2 * h * h /* q, o */ + 2 * kv * h /* k, v */;
        return 2 * v * h + h + info.LayerCount * perLayer;
    }

    [Theory]
    [InlineData(1, "BF16", 2)]
    [InlineData(3, "F16", 2)]
    [InlineData(2, "F32", 4)]
    public void A_valid_folder_passes_with_its_parameter_count_dtype_and_size(int shards, string dtype, int elementSize)
    {
        using var temp = new TempFolder();
        var (report, info) = WriteAndValidate(temp, new SyntheticModelOptions { ShardCount = shards, Dtype = dtype });

        Assert.True(report.Passed, string.Join("\n", report.Problems));
        Assert.Empty(report.Problems);
        Assert.Equal(ExpectedLlamaParameters(info, headDim: 16, keyValueHeads: 2), report.ParameterCount);
        Assert.Equal(dtype, report.Dtype);
        Assert.Equal(dtype, report.ConfigDtype);
        var onDisk = Directory.EnumerateFiles(info.Folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.Equal(onDisk, report.TotalBytes);
        Assert.Equal("LlamaForCausalLM", report.Architecture);
        Assert.Equal("llama", report.ModelType);
        Assert.False(report.Multimodal);
        Assert.True(report.ChatTemplate);
        Assert.Equal(shards, report.Files.Count(f => f.Path.EndsWith(".safetensors")));
        Assert.True(report.ParameterCount * elementSize < report.TotalBytes);
    }

    [Fact]
    public void Sharded_folder_uses_hugging_face_shard_names_and_an_index()
    {
        using var temp = new TempFolder();
        var (report, info) = WriteAndValidate(temp, new SyntheticModelOptions { ShardCount = 3 });

        Assert.True(report.Passed);
        Assert.Contains("model-00001-of-00003.safetensors", info.Files);
        Assert.Contains("model-00003-of-00003.safetensors", info.Files);
        Assert.Contains(ModelPackageValidator.IndexFile, info.Files);
        Assert.DoesNotContain("model.safetensors", info.Files);
    }

    [Fact]
    public void Target_size_grows_the_model_close_to_the_requested_bytes()
    {
        using var temp = new TempFolder();
        const long target = 24L * 1024 * 1024;
        var (report, info) = WriteAndValidate(temp, new SyntheticModelOptions { TargetTotalBytes = target, ShardCount = 2 });

        Assert.True(report.Passed, string.Join("\n", report.Problems));
        Assert.InRange(report.TotalBytes, target * 95 / 100, target * 105 / 100);
        Assert.Equal(ExpectedLlamaParameters(info, headDim: info.HiddenSize >= 256 ? 64 : 16, keyValueHeads: Math.Max(1, info.HiddenSize / (info.HiddenSize >= 256 ? 64 : 16) / 2)), report.ParameterCount);
    }

    [Fact]
    public void Chat_template_is_found_in_a_jinja_file()
    {
        using var temp = new TempFolder();
        var (report, _) = WriteAndValidate(temp, new SyntheticModelOptions { ChatTemplate = SyntheticChatTemplate.JinjaFile });
        Assert.True(report.ChatTemplate);
        Assert.DoesNotContain(report.Problems, p => p.Code == Codes.ChatTemplateMissing);
    }

    [Fact]
    public void A_base_model_without_chat_template_passes_with_a_warning()
    {
        using var temp = new TempFolder();
        var (report, _) = WriteAndValidate(temp, new SyntheticModelOptions { ChatTemplate = SyntheticChatTemplate.None });
        Assert.True(report.Passed);
        Assert.False(report.ChatTemplate);
        var warning = Assert.Single(report.Problems);
        Assert.Equal(Codes.ChatTemplateMissing, warning.Code);
        Assert.Equal(ModelPackageSeverity.Warning, warning.Severity);
    }

    [Fact]
    public void A_config_with_model_type_but_no_architectures_passes_with_a_warning_that_names_the_class_to_add()
    {
        using var temp = new TempFolder();
        var info = SyntheticModel.Write(temp.Sub("model"), new SyntheticModelOptions());
        var configPath = Path.Combine(info.Folder, ModelPackageValidator.ConfigFile);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        Assert.True(config.Remove("architectures"));
        File.WriteAllText(configPath, config.ToJsonString());

        var report = ModelPackageValidator.Validate(new LocalFolderSource(info.Folder));

        Assert.True(report.Passed, string.Join("\n", report.Problems));
        Assert.Equal("llama", report.ModelType);
        var warning = Assert.Single(report.Problems);
        Assert.Equal(Codes.ConfigArchitecturesMissing, warning.Code);
        Assert.Equal(ModelPackageSeverity.Warning, warning.Severity);
        Assert.Equal(ModelPackageValidator.ConfigFile, warning.File);
        Assert.Contains("no \"architectures\"", warning.Message);
        Assert.Contains("[\"LlamaForCausalLM\"]", warning.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Both_dtype_and_legacy_torch_dtype_keys_are_read(bool legacy)
    {
        using var temp = new TempFolder();
        var (report, _) = WriteAndValidate(temp, new SyntheticModelOptions { LegacyTorchDtypeKey = legacy, Dtype = "F16" });
        Assert.Equal("F16", report.ConfigDtype);
        var config = File.ReadAllText(Path.Combine(temp.Sub("model"), "config.json"));
        Assert.Contains(legacy ? "\"torch_dtype\"" : "\"dtype\"", config);
    }

    [Theory]
    [InlineData(SyntheticModelDefect.ConfigMissing, Codes.ConfigMissing)]
    [InlineData(SyntheticModelDefect.ConfigInvalidJson, Codes.ConfigInvalidJson)]
    [InlineData(SyntheticModelDefect.ConfigNoArchitecture, Codes.ConfigNoArchitecture)]
    [InlineData(SyntheticModelDefect.UnsupportedArchitecture, Codes.ArchitectureUnsupported)]
    [InlineData(SyntheticModelDefect.ContextTooLong, Codes.ContextTooLong)]
    [InlineData(SyntheticModelDefect.OnlyBinWeights, Codes.NoSafetensors)]
    [InlineData(SyntheticModelDefect.SafetensorsTruncated, Codes.SafetensorsTruncated)]
    [InlineData(SyntheticModelDefect.SafetensorsHeaderTooLarge, Codes.SafetensorsHeaderTooLarge)]
    [InlineData(SyntheticModelDefect.SafetensorsHeaderInvalidJson, Codes.SafetensorsHeaderInvalid)]
    [InlineData(SyntheticModelDefect.SafetensorsUnknownDtype, Codes.SafetensorsUnknownDtype)]
    [InlineData(SyntheticModelDefect.SafetensorsTensorSizeMismatch, Codes.SafetensorsTensorSizeMismatch)]
    [InlineData(SyntheticModelDefect.SafetensorsOffsetsOverlap, Codes.SafetensorsOffsetsOverlap)]
    [InlineData(SyntheticModelDefect.SafetensorsOffsetsNotContiguous, Codes.SafetensorsOffsetsNotContiguous)]
    [InlineData(SyntheticModelDefect.SafetensorsFileSizeMismatch, Codes.SafetensorsFileSizeMismatch)]
    [InlineData(SyntheticModelDefect.IndexInvalidJson, Codes.IndexInvalid)]
    [InlineData(SyntheticModelDefect.IndexMissingShard, Codes.IndexMissingShard)]
    [InlineData(SyntheticModelDefect.TensorInTwoShards, Codes.TensorInTwoShards)]
    [InlineData(SyntheticModelDefect.TensorNotInIndex, Codes.TensorNotInIndex)]
    [InlineData(SyntheticModelDefect.IndexTensorNotInShard, Codes.IndexTensorNotInShard)]
    [InlineData(SyntheticModelDefect.TokenizerMissing, Codes.TokenizerMissing)]
    [InlineData(SyntheticModelDefect.TokenizerConfigMissing, Codes.TokenizerConfigMissing)]
    [InlineData(SyntheticModelDefect.TokenizerConfigInvalidJson, Codes.TokenizerConfigInvalidJson)]
    public void Each_defect_fails_with_its_own_code_and_only_that_error(SyntheticModelDefect defect, string expectedCode)
    {
        using var temp = new TempFolder();
        var (report, _) = WriteAndValidate(temp, new SyntheticModelOptions { Defect = defect, ShardCount = 1 });

        Assert.False(report.Passed);
        var error = Assert.Single(report.Errors);
        Assert.Equal(expectedCode, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData(SyntheticModelDefect.IndexTotalSizeMismatch, Codes.IndexTotalSizeMismatch)]
    [InlineData(SyntheticModelDefect.IndexMissing, Codes.IndexMissing)]
    public void Index_warnings_do_not_fail_the_folder(SyntheticModelDefect defect, string expectedCode)
    {
        using var temp = new TempFolder();
        var (report, _) = WriteAndValidate(temp, new SyntheticModelOptions { Defect = defect });

        Assert.True(report.Passed, string.Join("\n", report.Problems));
        var warning = Assert.Single(report.Problems);
        Assert.Equal(expectedCode, warning.Code);
        Assert.Equal(ModelPackageSeverity.Warning, warning.Severity);
    }

    [Theory]
    [InlineData("I8")]
    [InlineData("F8_E4M3")]
    [InlineData("U8")]
    public void Quantized_weights_are_rejected(string dtype)
    {
        using var temp = new TempFolder();
        var (report, _) = WriteAndValidate(temp, new SyntheticModelOptions { Dtype = dtype });

        var error = Assert.Single(report.Errors);
        Assert.Equal(Codes.DtypeNotSupported, error.Code);
        Assert.Contains(dtype, error.Message);
    }

    [Fact]
    public void Gpt_oss_may_carry_u8_mxfp4_blocks()
    {
        using var temp = new TempFolder();
        var (report, _) = WriteAndValidate(temp, new SyntheticModelOptions { Dtype = "U8", Architecture = "GptOssForCausalLM", ModelType = "gpt_oss" });
        Assert.True(report.Passed, string.Join("\n", report.Problems));
        Assert.Equal("GPT-OSS", report.Family);
    }

    [Fact]
    public void Weights_in_bin_files_are_named_in_the_message()
    {
        using var temp = new TempFolder();
        var (report, _) = WriteAndValidate(temp, new SyntheticModelOptions { Defect = SyntheticModelDefect.OnlyBinWeights });
        Assert.Contains("pytorch_model.bin", Assert.Single(report.Errors).Message);
    }

    [Fact]
    public void Missing_shard_names_the_shard()
    {
        using var temp = new TempFolder();
        var (report, _) = WriteAndValidate(temp, new SyntheticModelOptions { Defect = SyntheticModelDefect.IndexMissingShard, ShardCount = 3 });
        var error = Assert.Single(report.Errors);
        Assert.Equal("model-00003-of-00003.safetensors", error.File);
    }

    [Theory]
    [InlineData("LlamaForCausalLM", "llama", 200L * 1000 * 1000 * 1000 + 1, true)]
    [InlineData("LlamaForCausalLM", "llama", 150L * 1000 * 1000 * 1000, false)]
    [InlineData("Qwen2VLForConditionalGeneration", "qwen2_vl", 150L * 1000 * 1000 * 1000, true)]
    [InlineData("Qwen2VLForConditionalGeneration", "qwen2_vl", 90L * 1000 * 1000 * 1000, false)]
    public void Folder_size_is_held_to_the_text_or_multimodal_limit(string architecture, string modelType, long extraBytes, bool overLimit)
    {
        using var temp = new TempFolder();
        var info = SyntheticModel.Write(temp.Sub("model"), new SyntheticModelOptions { Architecture = architecture, ModelType = modelType });
        var source = new RecordingSource(info.Folder, new ModelSourceFile("optimizer.pt", extraBytes));

        var report = ModelPackageValidator.Validate(source);

        Assert.Equal(info.TotalBytes + extraBytes, report.TotalBytes);
        if (overLimit) Assert.Equal(Codes.TotalSizeOverLimit, Assert.Single(report.Errors).Code);
        else Assert.True(report.Passed, string.Join("\n", report.Problems));
    }

    [Fact]
    public void Size_limit_can_be_overridden()
    {
        using var temp = new TempFolder();
        var info = SyntheticModel.Write(temp.Sub("model"));
        var report = ModelPackageValidator.Validate(new LocalFolderSource(info.Folder), new ModelPackageValidatorOptions { MaxTotalBytes = info.TotalBytes - 1 });
        Assert.Equal(Codes.TotalSizeOverLimit, Assert.Single(report.Errors).Code);
    }

    [Fact]
    public void Only_the_safetensors_headers_and_small_json_files_are_read()
    {
        using var temp = new TempFolder();
        var info = SyntheticModel.Write(temp.Sub("model"), new SyntheticModelOptions { ShardCount = 2, TargetTotalBytes = 8L * 1024 * 1024 });
        var source = new RecordingSource(info.Folder);

        var report = ModelPackageValidator.Validate(source);

        Assert.True(report.Passed);
        foreach (var shard in info.Files.Where(f => f.EndsWith(".safetensors")))
        {
            var reads = source.Reads.Where(r => r.Path == shard).ToList();
            Assert.Equal(2, reads.Count);
            Assert.Equal((0L, 8L), (reads[0].Offset, reads[0].Length));
            Assert.Equal(8L, reads[1].Offset);
            Assert.True(reads[1].Length < 64 * 1024, "header read was " + reads[1].Length + " bytes");
        }
        Assert.DoesNotContain(source.Reads, r => r.Path == "tokenizer.json");
    }

    [Fact]
    public void Max_position_embeddings_under_text_config_is_checked()
    {
        using var temp = new TempFolder();
        var info = SyntheticModel.Write(temp.Sub("model"));
        var configPath = Path.Combine(info.Folder, "config.json");
        File.WriteAllText(configPath, "{\"architectures\":[\"MllamaForConditionalGeneration\"],\"model_type\":\"mllama\",\"text_config\":{\"max_position_embeddings\":131072,\"dtype\":\"bfloat16\"}}");

        var report = ModelPackageValidator.Validate(new LocalFolderSource(info.Folder));

        Assert.Equal(Codes.ContextTooLong, Assert.Single(report.Errors).Code);
        Assert.True(report.Multimodal);
        Assert.Equal("BF16", report.ConfigDtype);
    }

    [Fact]
    public void Tokenizer_model_alone_satisfies_the_tokenizer_check()
    {
        using var temp = new TempFolder();
        var info = SyntheticModel.Write(temp.Sub("model"), new SyntheticModelOptions { Defect = SyntheticModelDefect.TokenizerMissing });
        File.WriteAllBytes(Path.Combine(info.Folder, "tokenizer.model"), new byte[] { 1, 2, 3 });
        Assert.True(ModelPackageValidator.Validate(new LocalFolderSource(info.Folder)).Passed);
    }

    [Fact]
    public void Files_in_sub_folders_count_toward_size_but_not_as_weights()
    {
        using var temp = new TempFolder();
        var info = SyntheticModel.Write(temp.Sub("model"), new SyntheticModelOptions
        {
            ExtraFiles = { ["checkpoint-1/stale.safetensors"] = "not a safetensors file" },
        });
        var report = ModelPackageValidator.Validate(new LocalFolderSource(info.Folder));
        Assert.True(report.Passed, string.Join("\n", report.Problems));
        Assert.Contains(report.Files, f => f.Path == "checkpoint-1/stale.safetensors");
    }
}

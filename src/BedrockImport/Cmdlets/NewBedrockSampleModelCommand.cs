using System.Management.Automation;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Writes a small Llama-shaped Hugging Face model folder (config, tokenizer files, safetensors shards and
/// index) to try the import pipeline offline against the local endpoint.</summary>
[Cmdlet(VerbsCommon.New, "BedrockSampleModel", SupportsShouldProcess = true)]
[OutputType(typeof(DirectoryInfo))]
public sealed class NewBedrockSampleModelCommand : AsyncCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    [ValidateRange(1, 64)]
    public int ShardCount { get; set; } = 2;

    /// <summary>Approximate size of the weights in bytes (default about 300 KB).</summary>
    [Parameter]
    [ValidateRange(1024L, 1L << 40)]
    public long SizeBytes { get; set; }

    /// <summary>The tensors' precision; bound case-insensitively and tab-completed, as every enum parameter.</summary>
    [Parameter]
    [EnumName(typeof(SampleModelDtype)), ValidateEnumName]
    public SampleModelDtype Dtype { get; set; } = SampleModelDtype.BF16;

    /// <summary>Writes a chat template (an instruct model); by default a base model without one.</summary>
    [Parameter]
    public SwitchParameter ChatTemplate { get; set; }

    /// <summary>Fixed answers for the local endpoint's generator: a hashtable of prompt fragment to response.</summary>
    [Parameter]
    public System.Collections.Hashtable? Response { get; set; }

    protected override async Task ProcessRecordAsync()
    {
        var folder = GetUnresolvedProviderPathFromPSPath(Path);
        if (!await ShouldProcessAsync(folder, "Write a sample model").ConfigureAwait(false))
        {
            return;
        }

        var options = new SyntheticModelOptions
        {
            ShardCount = ShardCount,
            TargetTotalBytes = SizeBytes > 0 ? SizeBytes : (long?)null,
            Dtype = Dtype.ToSafetensorsName(),
            ChatTemplate = ChatTemplate ? SyntheticChatTemplate.JinjaFile : SyntheticChatTemplate.None,
        };
        if (Response != null)
        {
            options.ExtraFiles["responses.jsonl"] = string.Join("\n", Response.Keys.Cast<object>().Select(key =>
                System.Text.Json.JsonSerializer.Serialize(new { contains = key.ToString(), response = Response[key]?.ToString() ?? "" })));
        }

        await Task.Run(() => SyntheticModel.Write(folder, options), CancellationToken).ConfigureAwait(false);
        WriteObject(new DirectoryInfo(folder));
    }

    protected override ErrorRecord? ToErrorRecord(Exception exception) => ErrorRecords.From(exception, Path, text => text);
}

using BedrockImport.Engine.ModelPackage;
using BedrockImport.LocalEndpoint.Hosting;

namespace BedrockImport.LocalEndpoint.Bedrock;

/// <summary>What an import job concluded about the model folder in S3.</summary>
internal sealed record ImportOutcome(string? FailureMessage, string? ModelArchitecture, bool InstructSupported, int CustomModelUnits);

/// <summary>Validates the S3 folder of an import job with the Engine's ModelPackageValidator, as Bedrock would.</summary>
internal static class ImportValidation
{
    /// <summary>failureMessage is at most 2048 characters on the wire.</summary>
    private const int MaxFailureMessageLength = 2048;

    /// <summary>Parameters one Custom Model Unit holds in this emulation (the real sizing is the service's secret).</summary>
    internal const long ParametersPerCustomModelUnit = 4_000_000_000;

    public static async Task<ImportOutcome> RunAsync(EndpointContext context, string s3Uri, long? maxTotalBytes, CancellationToken cancellationToken)
    {
        var source = S3StoreSource.For(context.S3, s3Uri);
        if (source is null)
            return Failed($"Amazon Bedrock can't access '{s3Uri}': it is not a valid S3 URI. Use the form s3://bucket/prefix/.");
        if (!source.BucketExists)
            return Failed($"Amazon Bedrock can't access the S3 bucket '{source.Bucket}': it does not exist. Check the S3 URI and that the bucket is in the same account and Region.");
        var files = await source.ListFilesAsync(cancellationToken).ConfigureAwait(false);
        if (files.Count == 0)
            return Failed($"No model files were found at {source.Location}. Upload the Hugging Face model folder (config.json, tokenizer files, .safetensors weights) to that prefix first.");

        var report = await ModelPackageValidator.ValidateAsync(source, new ModelPackageValidatorOptions { MaxTotalBytes = maxTotalBytes }, cancellationToken).ConfigureAwait(false);
        if (!report.Passed)
            return Failed(FailureMessage(report));

        var units = (int)Math.Max(1, (report.ParameterCount + ParametersPerCustomModelUnit - 1) / ParametersPerCustomModelUnit);
        return new ImportOutcome(null, report.ModelType ?? report.Architecture, report.ChatTemplate, units);
    }

    /// <summary>One sentence per kind of problem (by code), in the validator's order, within the wire limit.</summary>
    internal static string FailureMessage(ModelPackageReport report)
    {
        var messages = report.Errors.GroupBy(e => e.Code).Select(g => g.First().Message).ToList();
        var text = string.Join(" ", messages);
        return text.Length <= MaxFailureMessageLength ? text : text.Substring(0, MaxFailureMessageLength - 3) + "...";
    }

    private static ImportOutcome Failed(string message) => new(message, null, false, 0);
}

namespace BedrockImport.Cmdlets
{
    /// <summary>The tensor precisions New-BedrockSampleModel writes: the safetensors dtypes Custom Model Import accepts.</summary>
    public enum SampleModelDtype
    {
        BF16,
        F16,
        F32,
    }
}

using System.Text.Json;
using BedrockImport.Engine.Errors;
using BedrockImport.Engine.Sources;
using BedrockImport.Shared;

namespace BedrockImport.Engine.ModelPackage;

/// <summary>safetensors element types and their sizes in bytes (safetensors tensor.rs Dtype::size).</summary>
public static class SafetensorsDtypes
{
    private static readonly Dictionary<string, int> Sizes = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["F64"] = 8, ["I64"] = 8, ["U64"] = 8,
    };

    /// <summary>The element types Custom Model Import accepts for weights.</summary>
    public static IReadOnlyList<string> Importable { get; } = new[] { "F32", "F16", "BF16" };

    public static bool TryGetSize(string dtype, out int size) => Sizes.TryGetValue(dtype, out size);

    public static bool IsImportable(string dtype) => Importable.Contains(dtype, StringComparer.Ordinal);

    /// <summary>Maps config.json "torch_dtype"/"dtype" values (bfloat16, float16, float32) to safetensors names.</summary>
    public static string? FromTorchName(string? torchDtype)
    {
        switch (torchDtype)
        {
            case "bfloat16": return "BF16";
            case "float16": case "half": return "F16";
            case "float32": case "float": return "F32";
            default: return null;
        }
    }
}

/// <summary>One tensor entry of a safetensors header. Offsets are relative to the data buffer; End is exclusive.</summary>
public sealed class SafetensorsTensor
{
    public SafetensorsTensor(string name, string dtype, IReadOnlyList<long> shape, long dataBegin, long dataEnd, long elementCount)
    {
        Name = name;
        Dtype = dtype;
        Shape = shape;
        DataBegin = dataBegin;
        DataEnd = dataEnd;
        ElementCount = elementCount;
    }

    public string Name { get; }
    public string Dtype { get; }
    public IReadOnlyList<long> Shape { get; }
    public long DataBegin { get; }
    public long DataEnd { get; }
    public long ElementCount { get; }
    public long ByteLength => DataEnd - DataBegin;

    public override string ToString() => Name + " " + Dtype + " [" + string.Join(", ", Shape) + "]";
}

/// <summary>A safetensors file's header does not describe the file. Code is one of ModelPackageProblemCodes.Safetensors*.</summary>
public sealed class SafetensorsFormatException : Exception, IEngineError
{
    public SafetensorsFormatException(string code, string message) : base(message)
    {
        Code = code;
    }

    public string Code { get; }

    public string ErrorId => nameof(SafetensorsFormatException);

    public ErrorKind Kind => ErrorKind.InvalidData;
}

/// <summary>The header of a .safetensors file, read and checked without touching the tensor data
/// (8-byte little-endian length N, then N bytes of UTF-8 JSON, then the data buffer).</summary>
public sealed class SafetensorsHeader
{
    /// <summary>Largest header the safetensors reader accepts.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private SafetensorsHeader(long headerLength, long fileLength, IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        HeaderLength = headerLength;
        FileLength = fileLength;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>N, the length of the JSON header in bytes.</summary>
    public long HeaderLength { get; }
    public long FileLength { get; }
    /// <summary>Tensors in data-offset order.</summary>
    public IReadOnlyList<SafetensorsTensor> Tensors { get; }
    /// <summary>The "__metadata__" map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public long ParameterCount => Tensors.Sum(t => t.ElementCount);
    public long DataLength => FileLength - 8 - HeaderLength;

    /// <summary>Reads the first 8 + N bytes of a file through two ranged reads, and checks the header against the file length.</summary>
    /// <exception cref="SafetensorsFormatException">The file is not a well-formed safetensors file.</exception>
    public static async Task<SafetensorsHeader> ReadAsync(IModelSource source, string path, long fileLength, CancellationToken cancellationToken)
    {
        if (fileLength < 8)
            throw new SafetensorsFormatException(ModelPackageProblemCodes.SafetensorsTruncated,
                "The file is " + fileLength + " bytes long, too short to hold the 8-byte header length. The upload or download was probably cut short: copy the file again.");

        var prefix = await ReadExactlyAsync(source, path, 0, 8, cancellationToken).ConfigureAwait(false);
        var declaredLength = ReadUInt64LittleEndian(prefix);
        if (declaredLength > MaxHeaderLength)
            throw new SafetensorsFormatException(ModelPackageProblemCodes.SafetensorsHeaderTooLarge,
                "The header length field says " + declaredLength + " bytes, more than the safetensors limit of " + MaxHeaderLength + ". This is not a safetensors file, or its first bytes are damaged.");
        var headerLength = (long)declaredLength;
        if (8 + headerLength > fileLength)
            throw new SafetensorsFormatException(ModelPackageProblemCodes.SafetensorsTruncated,
                "The header is " + headerLength + " bytes but the file holds only " + (fileLength - 8) + " bytes after the length field. The file was cut short: copy it again.");

        var header = await ReadExactlyAsync(source, path, 8, (int)headerLength, cancellationToken).ConfigureAwait(false);
        return Parse(header, fileLength);
    }

    /// <summary>Parses and checks header JSON bytes (the N bytes after the length field) for a file of the given length.</summary>
    /// <exception cref="SafetensorsFormatException">The header is invalid or disagrees with the file.</exception>
    public static SafetensorsHeader Parse(byte[] headerJson, long fileLength)
    {
        var headerLength = headerJson.LongLength;
        var tensors = new List<SafetensorsTensor>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);

        JsonDocument document;
        try
        {
            document = StrictJson.Parse(headerJson);
        }
        catch (JsonException e)
        {
            throw Invalid("The header is not valid JSON (" + FirstLine(e.Message) + ").");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid("The header is JSON but not an object.");

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw Invalid("The header lists '" + property.Name + "' twice.");
                if (property.Name == "__metadata__")
                {
                    ReadMetadata(property.Value, metadata);
                    continue;
                }
                tensors.Add(ReadTensor(property.Name, property.Value));
            }
        }

        CheckLayout(tensors, headerLength, fileLength);
        return new SafetensorsHeader(headerLength, fileLength, tensors, metadata);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid("\"__metadata__\" must be an object of strings.");
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw Invalid("\"__metadata__\" value '" + entry.Name + "' is not a string.");
            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static SafetensorsTensor ReadTensor(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid("Tensor '" + name + "' is not an object with dtype, shape and data_offsets.");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Invalid("Tensor '" + name + "' has no \"dtype\" string.");
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Invalid("Tensor '" + name + "' has no \"shape\" array.");
        if (!value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
            throw Invalid("Tensor '" + name + "' has no \"data_offsets\" pair [begin, end].");

        var shape = new List<long>();
        foreach (var dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out var size) || size < 0)
                throw Invalid("Tensor '" + name + "' has a shape entry that is not a non-negative integer.");
            shape.Add(size);
        }

        var offsets = offsetsElement.EnumerateArray().ToList();
        if (offsets[0].ValueKind != JsonValueKind.Number || !offsets[0].TryGetInt64(out var begin) || begin < 0
            || offsets[1].ValueKind != JsonValueKind.Number || !offsets[1].TryGetInt64(out var end) || end < 0)
            throw Invalid("Tensor '" + name + "' has data_offsets that are not non-negative integers.");
        if (end < begin)
            throw Invalid("Tensor '" + name + "' has data_offsets [" + begin + ", " + end + "] that end before they begin.");

        var dtype = dtypeElement.GetString()!;
        if (!SafetensorsDtypes.TryGetSize(dtype, out var elementSize))
            throw new SafetensorsFormatException(ModelPackageProblemCodes.SafetensorsUnknownDtype,
                "Tensor '" + name + "' has dtype '" + dtype + "', which safetensors does not define. The file was written by a tool that is not safetensors-compatible (e.g. a GGUF/quantization tool): save the model with transformers save_pretrained.");

        long elements;
        long expectedBytes;
        try
        {
            elements = 1;
            foreach (var size in shape) elements = checked(elements * size);
            expectedBytes = checked(elements * elementSize);
        }
        catch (OverflowException)
        {
            throw new SafetensorsFormatException(ModelPackageProblemCodes.SafetensorsTensorSizeMismatch,
                "Tensor '" + name + "' has shape [" + string.Join(", ", shape) + "], whose size overflows 64 bits. The header is damaged.");
        }
        if (end - begin != expectedBytes)
            throw new SafetensorsFormatException(ModelPackageProblemCodes.SafetensorsTensorSizeMismatch,
                "Tensor '" + name + "' (" + dtype + " [" + string.Join(", ", shape) + "]) needs " + expectedBytes + " bytes but its data_offsets [" + begin + ", " + end + "] span " + (end - begin) + ". The header is damaged: re-save the model.");

        return new SafetensorsTensor(name, dtype, shape, begin, end, elements);
    }

    private static void CheckLayout(List<SafetensorsTensor> tensors, long headerLength, long fileLength)
    {
        tensors.Sort((a, b) => a.DataBegin != b.DataBegin ? a.DataBegin.CompareTo(b.DataBegin) : a.DataEnd.CompareTo(b.DataEnd));
        long previousEnd = 0;
        SafetensorsTensor? previous = null;
        foreach (var tensor in tensors)
        {
            if (tensor.DataBegin < previousEnd)
                throw new SafetensorsFormatException(ModelPackageProblemCodes.SafetensorsOffsetsOverlap,
                    "Tensor '" + tensor.Name + "' starts at byte " + tensor.DataBegin + " of the data buffer, inside tensor '" + previous!.Name + "' which ends at " + previousEnd + ". The header is damaged: re-save the model.");
            if (tensor.DataBegin > previousEnd)
                throw new SafetensorsFormatException(ModelPackageProblemCodes.SafetensorsOffsetsNotContiguous,
                    previous == null
                        ? "The first tensor '" + tensor.Name + "' starts at byte " + tensor.DataBegin + " of the data buffer instead of 0. The header is damaged: re-save the model."
                        : "There is a gap of " + (tensor.DataBegin - previousEnd) + " bytes between tensor '" + previous.Name + "' and tensor '" + tensor.Name + "'. The header is damaged: re-save the model.");
            previousEnd = tensor.DataEnd;
            previous = tensor;
        }

        var expectedFileLength = 8 + headerLength + previousEnd;
        if (expectedFileLength != fileLength)
            throw new SafetensorsFormatException(ModelPackageProblemCodes.SafetensorsFileSizeMismatch,
                fileLength < expectedFileLength
                    ? "The header describes " + expectedFileLength + " bytes but the file has " + fileLength + ". The file was cut short: copy it again."
                    : "The file has " + fileLength + " bytes, " + (fileLength - expectedFileLength) + " more than its header describes (" + expectedFileLength + "). Extra bytes were appended: re-save or copy the file again.");
    }

    private static SafetensorsFormatException Invalid(string message) =>
        new SafetensorsFormatException(ModelPackageProblemCodes.SafetensorsHeaderInvalid, message + " Re-save the model with transformers save_pretrained (safe_serialization).");

    private static string FirstLine(string text)
    {
        var newline = text.IndexOf('\n');
        return newline < 0 ? text : text.Substring(0, newline);
    }

    private static ulong ReadUInt64LittleEndian(byte[] bytes)
    {
        ulong value = 0;
        for (var i = 7; i >= 0; i--) value = (value << 8) | bytes[i];
        return value;
    }

    internal static async Task<byte[]> ReadExactlyAsync(IModelSource source, string path, long offset, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        var stream = await source.OpenRangeAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
        using (stream)
        {
            var filled = 0;
            while (filled < count)
            {
                var read = await stream.ReadAsync(buffer, filled, count - filled, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                    throw new SafetensorsFormatException(ModelPackageProblemCodes.SafetensorsTruncated,
                        "The file ended after " + (offset + filled) + " bytes while reading its header. The file was cut short: copy it again.");
                filled += read;
            }
        }
        return buffer;
    }
}

using System.IO.MemoryMappedFiles;
using System.Text.Json;
using BedrockImport.Shared;

namespace BedrockImport.Inference.Model;

/// <summary>A .safetensors file mapped read-only (one view for the whole file). The header is untrusted: its length,
/// every tensor's dtype, shape and data offsets are checked against the file before any tensor is handed out.</summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>The safetensors format's own limit on the header's length.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<string, int> KnownDtypeSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["F64"] = 8, ["I64"] = 8, ["U64"] = 8,
    };

    private readonly MemoryMappedFile mapping;
    private readonly MemoryMappedViewAccessor view;
    private readonly Dictionary<string, WeightTensor> tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> unreadableDtypes = new(StringComparer.Ordinal);
    private bool disposed;
    private bool pointerAcquired;

    private SafetensorsFile(string path, MemoryMappedFile mapping, MemoryMappedViewAccessor view)
    {
        Path = path;
        this.mapping = mapping;
        this.view = view;
    }

    public string Path { get; }

    public IReadOnlyCollection<string> TensorNames => tensors.Keys.Concat(unreadableDtypes.Keys).ToArray();

    public static SafetensorsFile Open(string path)
    {
        string fileName = System.IO.Path.GetFileName(path);
        long fileLength = new FileInfo(path).Length;
        if (fileLength < 8)
        {
            throw new ModelFormatException(fileName + ": " + fileLength + " bytes is too short for a safetensors header length");
        }
        var mapping = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        SafetensorsFile? file = null;
        try
        {
            view = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            file = new SafetensorsFile(path, mapping, view);
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            file.pointerAcquired = true;
            start += view.PointerOffset;
            file.ReadHeader(fileName, start, fileLength);
            return file;
        }
        catch
        {
            if (file is not null)
            {
                file.Dispose();
            }
            else
            {
                view?.Dispose();
                mapping.Dispose();
            }
            throw;
        }
    }

    public bool Contains(string name) => tensors.ContainsKey(name) || unreadableDtypes.ContainsKey(name);

    public WeightTensor Get(string name)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (tensors.TryGetValue(name, out var tensor))
        {
            return tensor;
        }
        if (unreadableDtypes.TryGetValue(name, out var dtype))
        {
            throw new ModelFormatException(System.IO.Path.GetFileName(Path) + ": tensor " + name + " has dtype " + dtype + "; weights must be F32, F16 or BF16");
        }
        throw new ModelFormatException(System.IO.Path.GetFileName(Path) + ": no tensor named " + name);
    }

    private void ReadHeader(string fileName, byte* start, long fileLength)
    {
        long headerLength = *(long*)start;
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors is little-endian; this engine needs a little-endian machine");
        }
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > fileLength - 8)
        {
            throw new ModelFormatException(fileName + ": header length " + headerLength + " does not fit the file's " + fileLength + " bytes");
        }
        long dataLength = fileLength - 8 - headerLength;
        byte* dataStart = start + 8 + headerLength;
        JsonDocument document;
        try
        {
            document = StrictJson.Parse(new ReadOnlyMemory<byte>(new ReadOnlySpan<byte>(start + 8, (int)headerLength).ToArray()));
        }
        catch (JsonException exception)
        {
            throw new ModelFormatException(fileName + ": the header is not JSON (" + exception.Message + ")");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(fileName + ": the header is not a JSON object");
            }
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    continue;
                }
                ReadEntry(fileName, entry, dataStart, dataLength);
            }
        }
    }

    private void ReadEntry(string fileName, JsonProperty entry, byte* dataStart, long dataLength)
    {
        string where = fileName + ": tensor " + entry.Name;
        var value = entry.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
        {
            throw new ModelFormatException(where + " needs dtype, shape and two data_offsets");
        }
        string dtype = dtypeElement.GetString()!;
        if (!KnownDtypeSizes.TryGetValue(dtype, out int elementSize))
        {
            throw new ModelFormatException(where + " has an unknown dtype '" + dtype + "'");
        }
        var shape = new long[shapeElement.GetArrayLength()];
        long elements = 1;
        int index = 0;
        foreach (var dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out long size) || size < 0)
            {
                throw new ModelFormatException(where + " has a shape that is not a list of non-negative integers");
            }
            shape[index++] = size;
            try
            {
                elements = checked(elements * size);
            }
            catch (OverflowException)
            {
                throw new ModelFormatException(where + " has a shape too large to address");
            }
        }
        if (!offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end))
        {
            throw new ModelFormatException(where + " has data_offsets that are not integers");
        }
        if (begin < 0 || end < begin || end > dataLength)
        {
            throw new ModelFormatException(where + " has data_offsets [" + begin + ", " + end + "] outside the file's " + dataLength + " data bytes");
        }
        long expectedBytes;
        try
        {
            expectedBytes = checked(elements * elementSize);
        }
        catch (OverflowException)
        {
            throw new ModelFormatException(where + " has a shape too large to address");
        }
        if (end - begin != expectedBytes)
        {
            throw new ModelFormatException(where + " spans " + (end - begin) + " bytes but " + dtype + " [" + string.Join(", ", shape) + "] needs " + expectedBytes);
        }
        if (shape.Length > 2)
        {
            // No weight of the supported architectures has more than two dimensions; such tensors stay unreadable.
            unreadableDtypes[entry.Name] = dtype + " with " + shape.Length + " dimensions";
            return;
        }
        WeightDtype? weightDtype = dtype switch
        {
            "F32" => WeightDtype.F32,
            "F16" => WeightDtype.F16,
            "BF16" => WeightDtype.BF16,
            _ => null,
        };
        if (weightDtype is null)
        {
            unreadableDtypes[entry.Name] = dtype;
            return;
        }
        tensors[entry.Name] = new WeightTensor(entry.Name, weightDtype.Value, shape, dataStart + begin, expectedBytes);
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        if (pointerAcquired)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        view.Dispose();
        mapping.Dispose();
    }
}

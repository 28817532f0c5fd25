using System.IO.MemoryMappedFiles;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
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

    private readonly Dictionary<string, WeightTensor> tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> unreadableDtypes = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> pending = new();
    private readonly SafeFileHandle handle;
    private MemoryMappedFile? mapping;
    private MemoryMappedViewAccessor? view;
    private bool disposed;
    private bool pointerAcquired;

    private SafetensorsFile(string path, SafeFileHandle handle, long length, DateTime lastWriteUtc)
    {
        Path = path;
        this.handle = handle;
        Length = length;
        LastWriteUtc = lastWriteUtc;
    }

    public string Path { get; }

    /// <summary>The file's length when it was mapped (the mapping's length).</summary>
    public long Length { get; }

    /// <summary>The file's last write when it was mapped.</summary>
    public DateTime LastWriteUtc { get; }

    public IReadOnlyCollection<string> TensorNames => tensors.Keys.Concat(unreadableDtypes.Keys).ToArray();

    /// <summary>The dtype of each tensor the header names (readable or not), for checks across shards.</summary>
    public IReadOnlyDictionary<string, string> DtypeOfTensor { get; private set; } = new Dictionary<string, string>();

    /// <summary>The number of dimensions of each tensor the header names.</summary>
    public IReadOnlyDictionary<string, int> RankOfTensor { get; private set; } = new Dictionary<string, int>();

    private readonly record struct PendingTensor(string Name, WeightDtype Dtype, long[] Shape, long Begin, long ByteLength);

    /// <summary>Opens and maps <paramref name="path"/>. The header is read with ordinary reads and checked against the
    /// file's length before anything is mapped, so a file that is short or shrinking is an error here, never a fault on
    /// a mapped page; the mapping is exactly the length the header was checked against.</summary>
    public static SafetensorsFile Open(string path)
    {
        string fileName = System.IO.Path.GetFileName(path);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        SafetensorsFile? file = null;
        try
        {
            long fileLength = RandomAccess.GetLength(handle);
            file = new SafetensorsFile(path, handle, fileLength, File.GetLastWriteTimeUtc(handle));
            if (fileLength < 8)
            {
                throw new ModelFormatException(fileName + ": " + fileLength + " bytes is too short for a safetensors header length");
            }
            file.ReadHeader(fileName, fileLength);
            file.Map(fileName);
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
                handle.Dispose();
            }
            throw;
        }
    }

    /// <summary>Null while the mapped file is as it was mapped; else what changed, naming the file. A file that changed
    /// must not be read through this mapping any more (a page beyond a shrunk end is a SIGBUS that kills the process):
    /// the owner disposes it and opens the file again. Checks the mapped file itself (its length and last write, through
    /// the open handle) and the name (another file moved over it, e.g. an object replaced).</summary>
    public string? Changed()
    {
        if (disposed)
        {
            return System.IO.Path.GetFileName(Path) + " is no longer mapped";
        }
        string fileName = System.IO.Path.GetFileName(Path);
        long length;
        DateTime written;
        try
        {
            length = RandomAccess.GetLength(handle);
            written = File.GetLastWriteTimeUtc(handle);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return fileName + " can no longer be read (" + exception.Message + ")";
        }
        if (length != Length)
        {
            return fileName + " changed since it was mapped: it was " + Length + " bytes and is now " + length + " bytes";
        }
        if (written != LastWriteUtc)
        {
            return fileName + " changed since it was mapped: it was written at " + written.ToString("O") + " (mapped as of " + LastWriteUtc.ToString("O") + ")";
        }
        var named = new FileInfo(Path);
        if (!named.Exists)
        {
            return fileName + " was removed since it was mapped";
        }
        if (named.Length != Length || named.LastWriteTimeUtc != LastWriteUtc)
        {
            return fileName + " was replaced since it was mapped: another file of " + named.Length + " bytes has its name";
        }
        return null;
    }

    private void Map(string fileName)
    {
        // The file's length may have changed since the header was checked: the mapping is made for the checked length
        // (a read-only mapping cannot be longer than its file, so a shorter file fails here) and checked again after.
        try
        {
            mapping = MemoryMappedFile.CreateFromFile(handle, null, Length, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        }
        catch (Exception exception) when (exception is ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(fileName + " could not be mapped at its checked length of " + Length + " bytes (" + exception.Message + ")");
        }
        view = mapping.CreateViewAccessor(0, Length, MemoryMappedFileAccess.Read);
        if (Changed() is { } change)
        {
            throw new ModelFormatException(change + " (while it was opened)");
        }
        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        pointerAcquired = true;
        start += view.PointerOffset;
        byte* dataStart = start + 8 + headerLength;
        foreach (var tensor in pending)
        {
            tensors[tensor.Name] = new WeightTensor(tensor.Name, tensor.Dtype, tensor.Shape, dataStart + tensor.Begin, tensor.ByteLength, fileName);
        }
        pending.Clear();
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

    private long headerLength;

    private void ReadHeader(string fileName, long fileLength)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors is little-endian; this engine needs a little-endian machine");
        }
        Span<byte> lengthBytes = stackalloc byte[8];
        ReadExactly(fileName, lengthBytes, 0);
        headerLength = BitConverter.ToInt64(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > fileLength - 8)
        {
            throw new ModelFormatException(fileName + ": header length " + headerLength + " does not fit the file's " + fileLength + " bytes");
        }
        long dataLength = fileLength - 8 - headerLength;
        var headerBytes = new byte[headerLength];
        ReadExactly(fileName, headerBytes, 8);
        JsonDocument document;
        try
        {
            document = StrictJson.Parse(headerBytes);
        }
        catch (JsonException exception)
        {
            throw new ModelFormatException(fileName + ": the header is not JSON (" + exception.Message + ")");
        }
        var dtypes = new Dictionary<string, string>(StringComparer.Ordinal);
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        var ranges = new List<(long Begin, long End, string Name)>();
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
                var (dtype, rank, begin, end) = ReadEntry(fileName, entry, dataLength);
                dtypes[entry.Name] = dtype;
                ranks[entry.Name] = rank;
                ranges.Add((begin, end, entry.Name));
            }
        }
        CheckCoverage(fileName, ranges, dataLength);
        DtypeOfTensor = dtypes;
        RankOfTensor = ranks;
    }

    /// <summary>The tensors' data must tile the data area exactly (the safetensors library's own rule): no gap, no overlap,
    /// no bytes after the last tensor. A file grown or cut since it was written breaks it.</summary>
    private static void CheckCoverage(string fileName, List<(long Begin, long End, string Name)> ranges, long dataLength)
    {
        ranges.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        foreach (var (begin, end, name) in ranges)
        {
            if (begin != covered)
            {
                throw new ModelFormatException(fileName + ": tensor " + name + " has data_offsets [" + begin + ", " + end + "] but the previous tensor ends at " + covered
                    + " (the data_offsets must cover the data bytes without gaps or overlaps)");
            }
            covered = end;
        }
        if (covered != dataLength)
        {
            throw new ModelFormatException(fileName + ": the header's data_offsets cover " + covered + " data bytes but the file has " + dataLength
                + " (the file was cut or grown after it was written)");
        }
    }

    private void ReadExactly(string fileName, Span<byte> destination, long offset)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int read = RandomAccess.Read(handle, destination[done..], offset + done);
            if (read == 0)
            {
                throw new ModelFormatException(fileName + " ended at byte " + (offset + done) + " while its header was read (it is shorter than when it was opened)");
            }
            done += read;
        }
    }

    private (string Dtype, int Rank, long Begin, long End) ReadEntry(string fileName, JsonProperty entry, long dataLength)
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
            return (dtype, shape.Length, begin, end);
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
            return (dtype, shape.Length, begin, end);
        }
        pending.Add(new PendingTensor(entry.Name, weightDtype.Value, shape, begin, expectedBytes));
        return (dtype, shape.Length, begin, end);
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
            view!.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        view?.Dispose();
        mapping?.Dispose();
        handle.Dispose();
    }
}

using System.Globalization;

namespace BedrockImport.Engine.Transfer;

/// <summary>How a file is cut into parts: S3 allows 5 MiB..5 GiB per part (the last may be smaller) and 10,000 parts.</summary>
internal readonly struct PartPlan
{
    public const long MiB = 1024 * 1024;
    public const long MinPartSize = 5 * MiB;
    public const int MaxParts = 10000;
    public const long DefaultMinimumPartSize = 8 * MiB;
    /// <summary>Each part in flight is held in memory, so parts stay far below S3's 5 GiB limit.</summary>
    public const long MaxBufferedPartSize = 1024 * MiB;

    public PartPlan(long fileSize, long partSize)
    {
        FileSize = fileSize;
        PartSize = partSize;
    }

    public long FileSize { get; }
    public long PartSize { get; }

    /// <summary>Files no larger than one part go up with a single PutObject.</summary>
    public bool IsMultipart => FileSize > PartSize;

    /// <summary>Parts of the tree checksum; an empty file has one empty part.</summary>
    public int PartCount => FileSize == 0 ? 1 : (int)((FileSize + PartSize - 1) / PartSize);

    public long PartOffset(int partNumber) => (partNumber - 1) * PartSize;

    public long PartLength(int partNumber) => Math.Min(PartSize, FileSize - PartOffset(partNumber));

    /// <summary>The part size for a file: the requested one (checked against S3's limits) or the automatic one
    /// (at least 8 MiB, enough for 10,000 parts, a multiple of 1 MiB).</summary>
    public static PartPlan For(long fileSize, long? requestedPartSize)
    {
        // The smallest part size that fits the file in 10,000 parts; the automatic size rounds it up to a whole MiB,
        // but a requested size is held to the exact figure (rounding it too refused sizes that fit).
        var smallestFitting = (fileSize + MaxParts - 1) / MaxParts;
        var needed = RoundUpToMiB(smallestFitting);
        if (requestedPartSize is long requested)
        {
            if (requested < MinPartSize || requested > MaxBufferedPartSize)
            {
                throw new ArgumentOutOfRangeException(nameof(requestedPartSize), requested,
                    $"The part size must be between {MinPartSize.ToString(CultureInfo.InvariantCulture)} bytes (5 MiB) and {MaxBufferedPartSize.ToString(CultureInfo.InvariantCulture)} bytes (1 GiB).");
            }

            if (requested < smallestFitting)
            {
                throw new ArgumentOutOfRangeException(nameof(requestedPartSize), requested,
                    $"A part size of {requested.ToString(CultureInfo.InvariantCulture)} bytes needs more than {MaxParts} parts for a file of "
                    + $"{fileSize.ToString(CultureInfo.InvariantCulture)} bytes; use at least {smallestFitting.ToString(CultureInfo.InvariantCulture)} ({needed.ToString(CultureInfo.InvariantCulture)} is the next whole MiB).");
            }

            return new PartPlan(fileSize, requested);
        }

        if (needed > MaxBufferedPartSize)
        {
            throw new ArgumentOutOfRangeException(nameof(fileSize), fileSize,
                $"A file of {fileSize.ToString(CultureInfo.InvariantCulture)} bytes needs parts larger than {MaxBufferedPartSize.ToString(CultureInfo.InvariantCulture)} bytes (1 GiB), which this uploader does not use.");
        }

        return new PartPlan(fileSize, Math.Max(DefaultMinimumPartSize, needed));
    }

    private static long RoundUpToMiB(long value) => (value + MiB - 1) / MiB * MiB;
}

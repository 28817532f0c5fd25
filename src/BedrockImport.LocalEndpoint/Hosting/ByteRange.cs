using Microsoft.Net.Http.Headers;

namespace BedrockImport.LocalEndpoint.Hosting;

/// <summary>The one byte range a GET serves (S3 objects, Hub files), read from a Range header and resolved against the size.</summary>
internal readonly record struct ByteRange(long Start, long End, bool Satisfiable)
{
    private static readonly ByteRange Unsatisfiable = new(0, 0, false);

    public long Length => End - Start + 1;

    /// <summary>The Content-Range of the answer: "bytes start-end/size" for a 206, "bytes */size" for a 416.</summary>
    public string ContentRange(long size)
        => (Satisfiable ? new ContentRangeHeaderValue(Start, End, size) : new ContentRangeHeaderValue(size)).ToString();

    /// <summary>
    /// Null when there is no single bytes range to honour (no header, not parseable, another unit, several ranges): the whole
    /// representation is served. A start past the end, or a suffix of an empty representation, is unsatisfiable; an end past
    /// the end is clamped. A zero-length suffix ("bytes=-0") is unsatisfiable unless <paramref name="zeroSuffixServesWhole"/>.
    /// </summary>
    public static ByteRange? Parse(string header, long size, bool zeroSuffixServesWhole = false)
    {
        if (!RangeHeaderValue.TryParse(header, out var parsed) || !parsed.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase)
            || parsed.Ranges.Count != 1)
            return null;
        var range = parsed.Ranges.First();
        if (range.From is not long from)
        {
            var suffix = range.To!.Value;
            if (suffix == 0)
                return zeroSuffixServesWhole ? null : Unsatisfiable;
            return size == 0 ? Unsatisfiable : new ByteRange(Math.Max(0, size - suffix), size - 1, true);
        }
        if (from >= size)
            return Unsatisfiable;
        return new ByteRange(from, Math.Min(range.To ?? size - 1, size - 1), true);
    }
}

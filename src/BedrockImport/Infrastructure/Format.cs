using System.Globalization;

namespace BedrockImport.Infrastructure;

internal static class Format
{
    private static readonly string[] Units = { "B", "KB", "MB", "GB", "TB" };

    /// <summary>1536 → "1.5 KB" (powers of 1024, as PowerShell's KB/MB/GB literals).</summary>
    public static string Bytes(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString(unit == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }
}

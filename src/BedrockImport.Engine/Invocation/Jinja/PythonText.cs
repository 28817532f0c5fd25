namespace BedrockImport.Engine.Invocation.Jinja;

/// <summary>Python's idea of whitespace: the characters for which str.isspace() is true. str.strip()/split() without
/// arguments, Jinja's trim filter, int()/float() and Jinja's whitespace control all use it, so a chat template renders a
/// message that starts with an ideographic space (U+3000) or a no-break space exactly as transformers does. .NET's
/// char.IsWhiteSpace differs (it leaves out U+001C–U+001F).</summary>
internal static class PythonText
{
    public static readonly char[] Whitespace =
    {
        '\t', '\n', '\v', '\f', '\r', '\u001c', '\u001d', '\u001e', '\u001f', ' ', '\u0085', '\u00a0', '\u1680',
        '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a',
        '\u2028', '\u2029', '\u202f', '\u205f', '\u3000',
    };

    public static bool IsSpace(char c) => Array.IndexOf(Whitespace, c) >= 0;

    public static string Strip(string text) => text.Trim(Whitespace);

    public static string LStrip(string text) => text.TrimStart(Whitespace);

    public static string RStrip(string text) => text.TrimEnd(Whitespace);
}

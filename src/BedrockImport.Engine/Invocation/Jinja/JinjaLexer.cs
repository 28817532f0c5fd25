using System.Globalization;
using System.Text;

namespace BedrockImport.Engine.Invocation.Jinja;

internal enum TokenKind { Name, String, Integer, Float, Operator, End }

internal sealed class Token
{
    public Token(TokenKind kind, string text, int line, object? value = null)
    {
        Kind = kind;
        Text = text;
        Line = line;
        Value = value;
    }

    public TokenKind Kind { get; }
    public string Text { get; }
    public int Line { get; }
    public object? Value { get; }

    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;
    public bool IsOperator(string op) => Kind == TokenKind.Operator && Text == op;
    public override string ToString() => Kind == TokenKind.End ? "end of tag" : "'" + Text + "'";
}

internal enum PieceKind { Text, Output, Statement, Comment }

internal sealed class Piece
{
    public PieceKind Kind;
    public string Text = "";
    public List<Token> Tokens = new List<Token>();
    public int Line;
    public bool StripBefore;
    public bool StripAfter;
    public bool KeepBefore;
    public bool KeepAfter;
}

/// <summary>Splits a template into text and tags, applying whitespace control as Hugging Face configures Jinja
/// for chat templates: {%- -%} strip, plus trim_blocks and lstrip_blocks (which {%+ and +%} turn off).</summary>
internal static class JinjaLexer
{
    private static readonly string[] Operators =
    {
        "==", "!=", "<=", ">=", "//", "**", "<", ">", "+", "-", "*", "/", "%", "~", "|", "(", ")", "[", "]", "{", "}", ",", ".", ":", "=",
    };

    public static List<Piece> Split(string source)
    {
        source = source.Replace("\r\n", "\n");
        // keep_trailing_newline is off in Jinja (and so in transformers): one final newline is dropped.
        if (source.EndsWith("\n", StringComparison.Ordinal)) source = source.Substring(0, source.Length - 1);
        var pieces = new List<Piece>();
        var position = 0;
        var line = 1;
        while (position < source.Length)
        {
            var start = NextTagStart(source, position);
            if (start < 0)
            {
                pieces.Add(new Piece { Kind = PieceKind.Text, Text = source.Substring(position), Line = line });
                break;
            }
            if (start > position) pieces.Add(new Piece { Kind = PieceKind.Text, Text = source.Substring(position, start - position), Line = line });
            line += CountLines(source, position, start);

            var tag = new Piece { Line = line };
            var opener = source[start + 1];
            var p = start + 2;
            if (p < source.Length && source[p] == '-') { tag.StripBefore = true; p++; }
            else if (p < source.Length && source[p] == '+') { tag.KeepBefore = true; p++; }

            if (opener == '#')
            {
                tag.Kind = PieceKind.Comment;
                var end = source.IndexOf("#}", p, StringComparison.Ordinal);
                if (end < 0) throw new ChatTemplateException("Unclosed comment {# ... #}.", line);
                if (end > p && source[end - 1] == '-') tag.StripAfter = true;
                if (end > p && source[end - 1] == '+') tag.KeepAfter = true;
                p = end + 2;
            }
            else
            {
                tag.Kind = opener == '{' ? PieceKind.Output : PieceKind.Statement;
                var closer = opener == '{' ? '}' : '%';
                p = LexTag(source, p, closer, tag, ref line);
            }
            line += CountLines(source, start, p);
            position = p;
            pieces.Add(tag);

            if (tag.Kind == PieceKind.Statement && tag.Tokens.Count > 0 && tag.Tokens[0].IsName("raw"))
                position = ReadRaw(source, position, pieces, ref line);
        }
        ApplyWhitespaceControl(pieces);
        return pieces;
    }

    private static int NextTagStart(string source, int from)
    {
        for (var i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
        {
            var next = source[i + 1];
            if (next == '{' || next == '%' || next == '#') return i;
        }
        return -1;
    }

    private static int CountLines(string source, int from, int to)
    {
        var count = 0;
        for (var i = from; i < to && i < source.Length; i++) if (source[i] == '\n') count++;
        return count;
    }

    private static int ReadRaw(string source, int position, List<Piece> pieces, ref int line)
    {
        var search = position;
        while (true)
        {
            var start = source.IndexOf("{%", search, StringComparison.Ordinal);
            if (start < 0) throw new ChatTemplateException("Unclosed {% raw %}.", line);
            var p = start + 2;
            var stripBefore = p < source.Length && source[p] == '-';
            if (stripBefore || (p < source.Length && source[p] == '+')) p++;
            while (p < source.Length && PythonText.IsSpace(source[p])) p++;
            if (string.CompareOrdinal(source, p, "endraw", 0, 6) != 0) { search = start + 2; continue; }
            var end = source.IndexOf("%}", p, StringComparison.Ordinal);
            if (end < 0) throw new ChatTemplateException("Unclosed {% endraw %}.", line);
            var text = source.Substring(position, start - position);
            if (stripBefore) text = PythonText.RStrip(text);
            pieces.Add(new Piece { Kind = PieceKind.Text, Text = text, Line = line });
            // The endraw tag takes part in whitespace control like any block tag.
            pieces.Add(new Piece { Kind = PieceKind.Comment, Line = line, StripAfter = source[end - 1] == '-', KeepAfter = source[end - 1] == '+' });
            line += CountLines(source, position, end + 2);
            return end + 2;
        }
    }

    private static int LexTag(string source, int p, char closer, Piece tag, ref int line)
    {
        while (true)
        {
            while (p < source.Length && PythonText.IsSpace(source[p]))
            {
                if (source[p] == '\n') line++;
                p++;
            }
            if (p >= source.Length) throw new ChatTemplateException("Unclosed tag: expected '" + closer + "}'.", tag.Line);
            var c = source[p];
            if ((c == '-' || c == '+') && Follows(source, p + 1, closer))
            {
                if (c == '-') tag.StripAfter = true; else tag.KeepAfter = true;
                return p + 3;
            }
            if (Follows(source, p, closer)) return p + 2;

            if (char.IsLetter(c) || c == '_')
            {
                var s = p;
                while (p < source.Length && (char.IsLetterOrDigit(source[p]) || source[p] == '_')) p++;
                tag.Tokens.Add(new Token(TokenKind.Name, source.Substring(s, p - s), line));
            }
            else if (char.IsDigit(c))
            {
                var s = p;
                while (p < source.Length && (char.IsDigit(source[p]) || source[p] == '_')) p++;
                var isFloat = false;
                if (p + 1 < source.Length && source[p] == '.' && char.IsDigit(source[p + 1]))
                {
                    isFloat = true;
                    p++;
                    while (p < source.Length && char.IsDigit(source[p])) p++;
                }
                if (p < source.Length && (source[p] == 'e' || source[p] == 'E'))
                {
                    var q = p + 1;
                    if (q < source.Length && (source[q] == '+' || source[q] == '-')) q++;
                    if (q < source.Length && char.IsDigit(source[q]))
                    {
                        isFloat = true;
                        p = q;
                        while (p < source.Length && char.IsDigit(source[p])) p++;
                    }
                }
                var text = source.Substring(s, p - s).Replace("_", "");
                if (isFloat)
                    tag.Tokens.Add(new Token(TokenKind.Float, text, line, double.Parse(text, CultureInfo.InvariantCulture)));
                else if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var integer))
                    tag.Tokens.Add(new Token(TokenKind.Integer, text, line, integer));
                else
                    throw JinjaBuiltins.IntegerOverflow("The integer literal " + Shorten(text), line);
            }
            else if (c == '\'' || c == '"')
            {
                p = LexString(source, p, tag, line);
            }
            else
            {
                string? op = null;
                foreach (var candidate in Operators)
                    if (string.CompareOrdinal(source, p, candidate, 0, candidate.Length) == 0) { op = candidate; break; }
                if (op == null) throw new ChatTemplateException("Unexpected character '" + c + "' in a tag.", line);
                tag.Tokens.Add(new Token(TokenKind.Operator, op, line));
                p += op.Length;
            }
        }
    }

    private static bool Follows(string source, int p, char closer) =>
        p + 1 < source.Length && source[p] == closer && source[p + 1] == '}';

    private static int LexString(string source, int p, Piece tag, int line)
    {
        var quote = source[p++];
        var value = new StringBuilder();
        while (true)
        {
            if (p >= source.Length) throw new ChatTemplateException("Unclosed string literal.", line);
            var c = source[p++];
            if (c == quote) break;
            if (c != '\\') { value.Append(c); continue; }
            if (p >= source.Length) throw new ChatTemplateException("Unclosed string literal.", line);
            var e = source[p++];
            switch (e)
            {
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case '0': value.Append('\0'); break;
                case '\\': value.Append('\\'); break;
                case '\'': value.Append('\''); break;
                case '"': value.Append('"'); break;
                case '\n': break;
                case 'x': value.Append((char)Hex(source, ref p, 2, line)); break;
                case 'u': value.Append((char)Hex(source, ref p, 4, line)); break;
                case 'U': value.Append(char.ConvertFromUtf32(Hex(source, ref p, 8, line))); break;
                default: value.Append('\\').Append(e); break;
            }
        }
        tag.Tokens.Add(new Token(TokenKind.String, value.ToString(), line, value.ToString()));
        return p;
    }

    private static int Hex(string source, ref int p, int digits, int line)
    {
        if (p + digits > source.Length) throw new ChatTemplateException("Bad escape in a string literal.", line);
        var hex = source.Substring(p, digits);
        p += digits;
        if (!int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
            throw new ChatTemplateException("Bad escape in a string literal.", line);
        return code;
    }

    private static void ApplyWhitespaceControl(List<Piece> pieces)
    {
        for (var i = 0; i < pieces.Count; i++)
        {
            var tag = pieces[i];
            if (tag.Kind == PieceKind.Text) continue;
            var isBlock = tag.Kind != PieceKind.Output;
            var before = i > 0 && pieces[i - 1].Kind == PieceKind.Text ? pieces[i - 1] : null;
            var after = i + 1 < pieces.Count && pieces[i + 1].Kind == PieceKind.Text ? pieces[i + 1] : null;

            if (before != null)
            {
                if (tag.StripBefore) before.Text = PythonText.RStrip(before.Text);
                else if (isBlock && !tag.KeepBefore) before.Text = LeftStripLine(before.Text, atTemplateStart: i == 1);
            }
            if (after != null)
            {
                if (tag.StripAfter) after.Text = PythonText.LStrip(after.Text);
                else if (isBlock && !tag.KeepAfter && after.Text.StartsWith("\n", StringComparison.Ordinal)) after.Text = after.Text.Substring(1);
            }
        }
    }

    /// <summary>lstrip_blocks: spaces and tabs between the start of a line and a block tag go.</summary>
    private static string LeftStripLine(string text, bool atTemplateStart)
    {
        var lineStart = text.LastIndexOf('\n') + 1;
        if (lineStart == 0 && !atTemplateStart) return text;
        for (var i = lineStart; i < text.Length; i++)
            if (text[i] != ' ' && text[i] != '\t') return text;
        return text.Substring(0, lineStart);
    }

    /// <summary>A literal as an error may quote it: a template can hold a number a million digits long.</summary>
    private static string Shorten(string text) => text.Length <= 40 ? text : text.Substring(0, 20) + "..." + text.Substring(text.Length - 8) + " (" + text.Length + " digits)";
}

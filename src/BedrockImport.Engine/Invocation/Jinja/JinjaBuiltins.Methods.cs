using System.Globalization;
using System.Text;

namespace BedrockImport.Engine.Invocation.Jinja;

internal static partial class JinjaBuiltins
{
    private static JinjaFunction? DictMethod(Dictionary<string, object?> dict, string name)
    {
        switch (name)
        {
            case "items": return new JinjaFunction(name, (_, __) => dict.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList());
            case "keys": return new JinjaFunction(name, (_, __) => dict.Keys.Cast<object?>().ToList());
            case "values": return new JinjaFunction(name, (_, __) => dict.Values.ToList());
            case "get":
                return new JinjaFunction(name, (args, __) =>
                {
                    var key = args.Count > 0 ? JinjaValues.ToStr(args[0]) : "";
                    return dict.TryGetValue(key, out var value) ? value : args.Count > 1 ? args[1] : null;
                });
            default: return null;
        }
    }

    private static JinjaFunction? StringMethod(string s, string name, int line)
    {
        string Chars(List<object?> args, int i) => i < args.Count && args[i] is string c ? c : null!;
        switch (name)
        {
            case "strip":
                return new JinjaFunction(name, (args, _) => Chars(args, 0) is string c ? s.Trim(c.ToCharArray()) : PythonText.Strip(s));
            case "lstrip":
                return new JinjaFunction(name, (args, _) => Chars(args, 0) is string c ? s.TrimStart(c.ToCharArray()) : PythonText.LStrip(s));
            case "rstrip":
                return new JinjaFunction(name, (args, _) => Chars(args, 0) is string c ? s.TrimEnd(c.ToCharArray()) : PythonText.RStrip(s));
            case "startswith":
                return new JinjaFunction(name, (args, _) => Prefixes(args, line).Any(p => s.StartsWith(p, StringComparison.Ordinal)));
            case "endswith":
                return new JinjaFunction(name, (args, _) => Prefixes(args, line).Any(p => s.EndsWith(p, StringComparison.Ordinal)));
            case "upper": return new JinjaFunction(name, (_, __) => s.ToUpperInvariant());
            case "lower": return new JinjaFunction(name, (_, __) => s.ToLowerInvariant());
            case "title": return new JinjaFunction(name, (_, __) => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(s.ToLowerInvariant()));
            case "capitalize": return new JinjaFunction(name, (_, __) => Capitalize(s));
            case "split":
                return new JinjaFunction(name, (args, kwargs) =>
                {
                    var separator = args.Count > 0 ? args[0] : kwargs.TryGetValue("sep", out var sep) ? sep : null;
                    var max = args.Count > 1 ? JinjaValues.ToLong(args[1], line) : kwargs.TryGetValue("maxsplit", out var m) ? JinjaValues.ToLong(m, line) : -1;
                    return Split(s, separator as string, max, line);
                });
            case "replace":
                return new JinjaFunction(name, (args, _) =>
                {
                    var old = args.Count > 0 ? JinjaValues.ToStr(args[0]) : "";
                    var replacement = args.Count > 1 ? JinjaValues.ToStr(args[1]) : "";
                    return Replace(s, old, replacement, line);
                });
            case "find":
                return new JinjaFunction(name, (args, _) => (long)s.IndexOf(args.Count > 0 ? JinjaValues.ToStr(args[0]) : "", StringComparison.Ordinal));
            case "count":
                return new JinjaFunction(name, (args, _) =>
                {
                    var needle = args.Count > 0 ? JinjaValues.ToStr(args[0]) : "";
                    if (needle.Length == 0) return (long)(s.Length + 1);
                    long count = 0;
                    for (var i = s.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = s.IndexOf(needle, i + needle.Length, StringComparison.Ordinal)) count++;
                    return count;
                });
            case "join":
                return new JinjaFunction(name, (args, _) => Join(s, JinjaValues.Iterate(args.Count > 0 ? args[0] : null, line).Select(JinjaValues.ToStr), line));
            case "splitlines":
                return new JinjaFunction(name, (_, __) =>
                {
                    var lines = s.Replace("\r\n", "\n").Split('\n');
                    JinjaLimits.Current.CheckItems(lines.Length, line);
                    return lines.Select(x => (object?)x).ToList();
                });
            case "isdigit": return new JinjaFunction(name, (_, __) => s.Length > 0 && s.All(char.IsDigit));
            case "isspace": return new JinjaFunction(name, (_, __) => s.Length > 0 && s.All(PythonText.IsSpace));
            default: return null;
        }
    }

    private static IEnumerable<string> Prefixes(List<object?> args, int line)
    {
        if (args.Count == 0) throw new ChatTemplateException("startswith/endswith need an argument.", line);
        return args[0] is List<object?> options ? options.Select(JinjaValues.ToStr) : new[] { JinjaValues.ToStr(args[0]) };
    }

    private static List<object?> Split(string s, string? separator, long max, int line)
    {
        var limits = JinjaLimits.Current;
        var parts = new List<object?>();
        if (separator == null)
        {
            var position = 0;
            while (true)
            {
                while (position < s.Length && PythonText.IsSpace(s[position])) position++;
                if (position >= s.Length) break;
                if (max >= 0 && parts.Count == max)
                {
                    parts.Add(s.Substring(position).TrimEnd(PythonText.Whitespace));
                    break;
                }
                var end = position;
                while (end < s.Length && !PythonText.IsSpace(s[end])) end++;
                parts.Add(s.Substring(position, end - position));
                limits.CheckItems(parts.Count, line);
                position = end;
            }
            return parts;
        }
        if (separator.Length == 0) throw new ChatTemplateException("split() separator must not be empty.");
        var start = 0;
        while (true)
        {
            var index = max >= 0 && parts.Count == max ? -1 : s.IndexOf(separator, start, StringComparison.Ordinal);
            if (index < 0)
            {
                parts.Add(s.Substring(start));
                return parts;
            }
            parts.Add(s.Substring(start, index - start));
            limits.CheckItems(parts.Count, line);
            start = index + separator.Length;
        }
    }

    private static string Strftime(DateTime time, string format)
    {
        var limits = JinjaLimits.Current;
        var builder = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            limits.CheckLength(builder.Length);
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                builder.Append(format[i]);
                continue;
            }
            var code = format[++i];
            var invariant = CultureInfo.InvariantCulture;
            switch (code)
            {
                case 'd': builder.Append(time.ToString("dd", invariant)); break;
                case 'm': builder.Append(time.ToString("MM", invariant)); break;
                case 'Y': builder.Append(time.ToString("yyyy", invariant)); break;
                case 'y': builder.Append(time.ToString("yy", invariant)); break;
                case 'b': builder.Append(time.ToString("MMM", invariant)); break;
                case 'B': builder.Append(time.ToString("MMMM", invariant)); break;
                case 'a': builder.Append(time.ToString("ddd", invariant)); break;
                case 'A': builder.Append(time.ToString("dddd", invariant)); break;
                case 'H': builder.Append(time.ToString("HH", invariant)); break;
                case 'M': builder.Append(time.ToString("mm", invariant)); break;
                case 'S': builder.Append(time.ToString("ss", invariant)); break;
                case 'j': builder.Append(time.DayOfYear.ToString("000", invariant)); break;
                case '%': builder.Append('%'); break;
                default: builder.Append('%').Append(code); break;
            }
        }
        return builder.ToString();
    }
}

using System.Globalization;

namespace BedrockImport.Engine.Invocation.Jinja;

internal static partial class JinjaBuiltins
{
    public static object? ApplyFilter(string name, object? value, List<object?> args, Dictionary<string, object?> kwargs, RenderContext context, int line)
    {
        object? Arg(int i, string keyword, object? whenMissing) =>
            i < args.Count ? args[i] : kwargs.TryGetValue(keyword, out var named) ? named : whenMissing;

        switch (name)
        {
            case "trim":
            {
                var chars = Arg(0, "chars", null);
                var text = JinjaValues.ToStr(value);
                return chars is string c ? text.Trim(c.ToCharArray()) : PythonText.Strip(text);
            }
            case "length":
            case "count":
                return (long)JinjaValues.Length(value, line);
            case "string":
                return JinjaValues.ToStr(value);
            case "upper":
                return JinjaValues.ToStr(value).ToUpperInvariant();
            case "lower":
                return JinjaValues.ToStr(value).ToLowerInvariant();
            case "capitalize":
                return Capitalize(JinjaValues.ToStr(value));
            case "title":
                return CultureInfo.InvariantCulture.TextInfo.ToTitleCase(JinjaValues.ToStr(value).ToLowerInvariant());
            case "safe":
            case "e":
            case "escape":
            case "forceescape":
                return name == "safe" ? value : Escape(JinjaValues.ToStr(value));
            case "default":
            case "d":
            {
                var fallback = Arg(0, "default_value", "");
                var boolean = JinjaValues.Truthy(Arg(1, "boolean", false));
                return value is Undefined || (boolean && !JinjaValues.Truthy(value)) ? fallback : value;
            }
            case "first":
            {
                var items = JinjaValues.Iterate(value, line);
                return items.Count > 0 ? items[0] : Undefined.Instance;
            }
            case "last":
            {
                var items = JinjaValues.Iterate(value, line);
                return items.Count > 0 ? items[items.Count - 1] : Undefined.Instance;
            }
            case "list":
                return JinjaValues.Iterate(value, line).ToList();
            case "reverse":
                return value is string rs ? new string(rs.Reverse().ToArray()) : (object)JinjaValues.Iterate(value, line).AsEnumerable().Reverse().ToList();
            case "join":
            {
                var separator = JinjaValues.ToStr(Arg(0, "d", ""));
                var attribute = Arg(1, "attribute", null);
                var items = JinjaValues.Iterate(value, line);
                return Join(separator, items.Select(i => JinjaValues.ToStr(attribute is string a ? GetAttribute(i, a, line) : i)), line);
            }
            case "tojson":
            {
                var indent = Arg(0, "indent", null);
                // json.dumps treats a negative indent as 0; a huge one is as long as the output could ever be.
                var indentWidth = indent == null || indent is Undefined
                    ? (int?)null
                    : (int)Math.Min(Math.Max(0, JinjaValues.ToLong(indent, line)), context.Limits.MaxOutputLength + 1L);
                var separators = Arg(1, "separators", null) as List<object?>;
                var itemSeparator = separators != null && separators.Count == 2 ? JinjaValues.ToStr(separators[0]) : indentWidth == null ? ", " : ",";
                var keySeparator = separators != null && separators.Count == 2 ? JinjaValues.ToStr(separators[1]) : ": ";
                return JinjaValues.ToJson(value, indentWidth, itemSeparator, keySeparator, JinjaValues.Truthy(kwargs.TryGetValue("sort_keys", out var sort) ? sort : false));
            }
            case "items":
                if (value is Dictionary<string, object?> map)
                    return map.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList();
                if (value is Undefined) return new List<object?>();
                throw new ChatTemplateException("The items filter needs a mapping.", line);
            case "replace":
            {
                var text = JinjaValues.ToStr(value);
                var old = JinjaValues.ToStr(Arg(0, "old", ""));
                var replacement = JinjaValues.ToStr(Arg(1, "new", ""));
                return Replace(text, old, replacement, line);
            }
            case "int":
                return ToInt(value, Arg(0, "default", 0L), line);
            case "float":
                return ToFloat(value, Arg(0, "default", 0.0));
            case "abs":
                if (value is double dv) return Math.Abs(dv);
                var integer = JinjaValues.ToLong(value, line);
                if (integer == long.MinValue) throw new ChatTemplateException("abs() of " + integer + " does not fit in a 64-bit integer.", line);
                return Math.Abs(integer);
            case "unique":
            {
                var unique = new List<object?>();
                foreach (var item in JinjaValues.Iterate(value, line))
                {
                    // Quadratic: a million items would take hours without the render's clock.
                    context.Clock.Check(line);
                    if (!unique.Any(u => JinjaValues.AreEqual(u, item))) unique.Add(item);
                }
                return unique;
            }
            case "select":
            case "reject":
            {
                var testName = args.Count > 0 ? JinjaValues.ToStr(args[0]) : null;
                var testArgs = args.Skip(1).ToList();
                var keep = name == "select";
                return JinjaValues.Iterate(value, line)
                    .Where(i => (testName == null ? JinjaValues.Truthy(i) : ApplyTest(testName, i, testArgs, context, line)) == keep)
                    .ToList();
            }
            case "selectattr":
            case "rejectattr":
            {
                var attribute = JinjaValues.ToStr(Arg(0, "attribute", ""));
                var testName = args.Count > 1 ? JinjaValues.ToStr(args[1]) : null;
                var testArgs = args.Skip(2).ToList();
                var keep = name == "selectattr";
                return JinjaValues.Iterate(value, line)
                    .Where(i =>
                    {
                        var v = GetAttribute(i, attribute, line);
                        return (testName == null ? JinjaValues.Truthy(v) : ApplyTest(testName, v, testArgs, context, line)) == keep;
                    })
                    .ToList();
            }
            case "map":
            {
                var items = JinjaValues.Iterate(value, line);
                if (kwargs.TryGetValue("attribute", out var attribute))
                {
                    var fallback = kwargs.TryGetValue("default", out var d) ? d : Undefined.Instance;
                    return items.Select(i =>
                    {
                        var v = GetAttribute(i, JinjaValues.ToStr(attribute), line);
                        return v is Undefined ? fallback : v;
                    }).ToList();
                }
                if (args.Count == 0) throw new ChatTemplateException("map needs a filter name or attribute=.", line);
                var filter = JinjaValues.ToStr(args[0]);
                var filterArgs = args.Skip(1).ToList();
                return items.Select(i => ApplyFilter(filter, i, filterArgs, new Dictionary<string, object?>(), context, line)).ToList();
            }
            case "sort":
            {
                var reverse = JinjaValues.Truthy(Arg(0, "reverse", false));
                var attribute = Arg(2, "attribute", null) as string;
                var items = JinjaValues.Iterate(value, line).ToList();
                try
                {
                    items.Sort((a, b) => JinjaValues.Compare(attribute == null ? a : GetAttribute(a, attribute, line), attribute == null ? b : GetAttribute(b, attribute, line), line));
                }
                catch (InvalidOperationException e) when (e.InnerException is ChatTemplateException inner)
                {
                    // List.Sort wraps what the comparison throws; the template's error is the one to report.
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(inner).Throw();
                }
                if (reverse) items.Reverse();
                return items;
            }
            case "indent":
            {
                var width = Arg(0, "width", 4L);
                var text = JinjaValues.ToStr(value);
                var lines = text.Split('\n');
                var padWidth = width is string ps ? ps.Length : Math.Max(0, JinjaValues.ToLong(width, line));
                // Checked before the padding is made: it repeats on every line that is not blank.
                var padded = lines.Count(l => l.Length > 0);
                if (padWidth > 0 && padded > (context.Limits.MaxOutputLength - (long)text.Length) / padWidth)
                    context.Limits.CheckLength(context.Limits.MaxOutputLength + 1L, line);
                var pad = width is string padText ? padText : new string(' ', (int)padWidth);
                var first = JinjaValues.Truthy(Arg(1, "first", false));
                for (var i = 0; i < lines.Length; i++)
                    if ((i > 0 || first) && lines[i].Length > 0) lines[i] = pad + lines[i];
                return string.Join("\n", lines);
            }
            case "wordcount":
                return (long)JinjaValues.ToStr(value).Split(PythonText.Whitespace, StringSplitOptions.RemoveEmptyEntries).Length;
            case "min":
            case "max":
            {
                var items = JinjaValues.Iterate(value, line);
                if (items.Count == 0) return Undefined.Instance;
                var best = items[0];
                foreach (var item in items.Skip(1))
                {
                    var c = JinjaValues.Compare(item, best, line);
                    if (name == "min" ? c < 0 : c > 0) best = item;
                }
                return best;
            }
            case "sum":
            {
                object? total = 0L;
                foreach (var item in JinjaValues.Iterate(value, line)) total = Arithmetic("+", total, item, line);
                return total;
            }
            default:
                throw new ChatTemplateException("Unknown filter '" + name + "'.", line);
        }
    }

    private static object? ToInt(object? value, object? fallback, int line)
    {
        switch (value)
        {
            case long l: return l;
            case bool b: return b ? 1L : 0L;
            case double d: return JinjaValues.DoubleToLong(Math.Truncate(d), line);
            case string s when long.TryParse(PythonText.Strip(s), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed): return parsed;
            case string s when double.TryParse(PythonText.Strip(s), NumberStyles.Float, CultureInfo.InvariantCulture, out var real): return JinjaValues.DoubleToLong(Math.Truncate(real), line);
            default: return fallback;
        }
    }

    private static object? ToFloat(object? value, object? fallback)
    {
        switch (value)
        {
            case long l: return (double)l;
            case bool b: return b ? 1.0 : 0.0;
            case double d: return d;
            case string s when double.TryParse(PythonText.Strip(s), NumberStyles.Float, CultureInfo.InvariantCulture, out var real): return real;
            default: return fallback;
        }
    }

    private static string Capitalize(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text.Substring(1).ToLowerInvariant();

    private static string Escape(string text) =>
        text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");
}

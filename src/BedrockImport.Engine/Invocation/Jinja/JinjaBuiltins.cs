using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace BedrockImport.Engine.Invocation.Jinja
{
    /// <summary>Operators, attribute access, filters, tests and global functions: the part of Jinja2 (as Hugging Face
    /// sets it up for chat templates) that Llama, Mistral and Qwen templates use.</summary>
    internal static class JinjaBuiltins
    {
        private static readonly char[] PythonWhitespace = { ' ', '\t', '\n', '\r', '\v', '\f' };

        public static void AddGlobals(Scope scope, Func<DateTime> now)
        {
            scope.Set("raise_exception", new JinjaFunction("raise_exception", (args, _) =>
                throw new ChatTemplateRaisedException(args.Count > 0 ? JinjaValues.ToStr(args[0]) : "The chat template raised an exception.", 0)));
            scope.Set("namespace", new JinjaFunction("namespace", (args, kwargs) =>
            {
                var ns = new JinjaNamespace();
                foreach (var arg in args)
                    if (arg is Dictionary<string, object?> initial)
                        foreach (var pair in initial) ns.Attributes[pair.Key] = pair.Value;
                foreach (var pair in kwargs) ns.Attributes[pair.Key] = pair.Value;
                return ns;
            }));
            scope.Set("dict", new JinjaFunction("dict", (args, kwargs) =>
            {
                var map = args.Count > 0 && args[0] is Dictionary<string, object?> d
                    ? new Dictionary<string, object?>(d, StringComparer.Ordinal)
                    : new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var pair in kwargs) map[pair.Key] = pair.Value;
                return map;
            }));
            scope.Set("range", new JinjaFunction("range", (args, _) =>
            {
                long start = 0, stop, step = 1;
                if (args.Count == 1) stop = JinjaValues.ToLong(args[0], 0);
                else
                {
                    start = JinjaValues.ToLong(args[0], 0);
                    stop = JinjaValues.ToLong(args[1], 0);
                    if (args.Count > 2) step = JinjaValues.ToLong(args[2], 0);
                }
                if (step == 0) throw new ChatTemplateException("range() step must not be zero.");
                var list = new List<object?>();
                for (var i = start; step > 0 ? i < stop : i > stop; i += step)
                {
                    list.Add(i);
                    if (list.Count > 100_000) throw new ChatTemplateException("range() is too long.");
                }
                return list;
            }));
            scope.Set("strftime_now", new JinjaFunction("strftime_now", (args, _) =>
                Strftime(now(), args.Count > 0 ? JinjaValues.ToStr(args[0]) : "%Y-%m-%d")));
        }

        public static object? GetAttribute(object? target, string name, int line)
        {
            switch (target)
            {
                case Dictionary<string, object?> dict:
                    var method = DictMethod(dict, name);
                    if (method != null) return method;
                    return dict.TryGetValue(name, out var value) ? value : Undefined.Instance;
                case JinjaNamespace ns:
                    return ns.Attributes.TryGetValue(name, out var attribute) ? attribute : Undefined.Instance;
                case string s:
                    return StringMethod(s, name, line) ?? (object)Undefined.Instance;
                default:
                    return Undefined.Instance;
            }
        }

        public static object? GetItem(object? target, object? key, int line)
        {
            switch (target)
            {
                case Dictionary<string, object?> dict:
                    if (key is string k) return dict.TryGetValue(k, out var value) ? value : Undefined.Instance;
                    return dict.TryGetValue(JinjaValues.ToStr(key), out var byText) ? byText : Undefined.Instance;
                case List<object?> list when key is long || key is bool:
                    var index = JinjaValues.ToLong(key, line);
                    if (index < 0) index += list.Count;
                    return index >= 0 && index < list.Count ? list[(int)index] : Undefined.Instance;
                case string s when key is long || key is bool:
                    var position = JinjaValues.ToLong(key, line);
                    if (position < 0) position += s.Length;
                    return position >= 0 && position < s.Length ? s[(int)position].ToString() : Undefined.Instance;
                default:
                    return key is string name ? GetAttribute(target, name, line) : Undefined.Instance;
            }
        }

        public static object? Slice(object? target, long? start, long? stop, long? step, int line)
        {
            var s = step ?? 1;
            if (s == 0) throw new ChatTemplateException("Slice step cannot be zero.", line);
            List<object?> items;
            var isString = target is string;
            if (target is string text) items = text.Select(c => (object?)c.ToString()).ToList();
            else if (target is List<object?> list) items = list;
            else if (target is Undefined) return Undefined.Instance;
            else throw new ChatTemplateException("'" + JinjaValues.TypeName(target) + "' object cannot be sliced.", line);

            var count = items.Count;
            long Normalize(long? value, long whenMissing, long low, long high)
            {
                if (value == null) return whenMissing;
                var v = value.Value < 0 ? value.Value + count : value.Value;
                return Math.Max(low, Math.Min(high, v));
            }
            var result = new List<object?>();
            if (s > 0)
            {
                var from = Normalize(start, 0, 0, count);
                var to = Normalize(stop, count, 0, count);
                for (var i = from; i < to; i += s) result.Add(items[(int)i]);
            }
            else
            {
                var from = Normalize(start, count - 1, -1, count - 1);
                var to = Normalize(stop, -1, -1, count - 1);
                for (var i = from; i > to; i += s) result.Add(items[(int)i]);
            }
            return isString ? string.Concat(result.Select(x => (string)x!)) : (object)result;
        }

        public static object? Arithmetic(string op, object? left, object? right, int line)
        {
            if (op == "~") return JinjaValues.ToStr(left) + JinjaValues.ToStr(right);
            if (op == "+")
            {
                if (left is string ls && right is string rs) return ls + rs;
                if (left is List<object?> ll && right is List<object?> rl) return ll.Concat(rl).ToList();
            }
            if (op == "*")
            {
                if (left is string s && (right is long || right is bool)) return Repeat(s, JinjaValues.ToLong(right, line));
                if (left is List<object?> l && (right is long || right is bool))
                    return l.Count * Math.Max(0, JinjaValues.ToLong(right, line)) > MaxRepeatLength ? throw new ChatTemplateException("List repetition is too long.", line) : Enumerable.Range(0, (int)Math.Max(0, JinjaValues.ToLong(right, line))).SelectMany(_ => l).ToList();
            }
            if (!JinjaValues.IsNumber(left) || !JinjaValues.IsNumber(right))
            {
                var hint = left is Undefined || right is Undefined ? " (an operand is undefined)" : "";
                throw new ChatTemplateException("Unsupported operand types for " + op + ": '" + JinjaValues.TypeName(left) + "' and '" + JinjaValues.TypeName(right) + "'" + hint + ".", line);
            }
            var integers = !(left is double) && !(right is double);
            if (integers)
            {
                long a = JinjaValues.ToLong(left, line), b = JinjaValues.ToLong(right, line);
                switch (op)
                {
                    case "+": return a + b;
                    case "-": return a - b;
                    case "*": return a * b;
                    case "/":
                        if (b == 0) throw new ChatTemplateException("Division by zero.", line);
                        return (double)a / b;
                    case "//":
                        if (b == 0) throw new ChatTemplateException("Division by zero.", line);
                        return (long)Math.Floor((double)a / b);
                    case "%":
                        if (b == 0) throw new ChatTemplateException("Modulo by zero.", line);
                        return ((a % b) + b) % b;
                    case "**": return b >= 0 ? (object)(long)Math.Pow(a, b) : Math.Pow(a, b);
                }
            }
            double x = JinjaValues.ToDouble(left), y = JinjaValues.ToDouble(right);
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/": return y == 0 ? throw new ChatTemplateException("Division by zero.", line) : x / y;
                case "//": return y == 0 ? throw new ChatTemplateException("Division by zero.", line) : Math.Floor(x / y);
                case "%": return y == 0 ? throw new ChatTemplateException("Modulo by zero.", line) : x - y * Math.Floor(x / y);
                case "**": return Math.Pow(x, y);
            }
            throw new ChatTemplateException("Unknown operator " + op + ".", line);
        }

        private const long MaxRepeatLength = 10_000_000;

        private static string Repeat(string s, long times)
        {
            if (times > 0 && s.Length * times > MaxRepeatLength) throw new ChatTemplateException("String repetition is too long.");
            var builder = new StringBuilder();
            for (var i = 0; i < times; i++) builder.Append(s);
            return builder.ToString();
        }

        public static bool ApplyTest(string name, object? value, List<object?> args, RenderContext context, int line)
        {
            object? Arg(int i) => i < args.Count ? args[i] : throw new ChatTemplateException("The test '" + name + "' needs an argument.", line);
            switch (name)
            {
                case "defined": return !(value is Undefined);
                case "undefined": return value is Undefined;
                case "none": return value == null;
                case "string": return value is string;
                case "number": return value is long || value is double;
                case "integer": return value is long;
                case "float": return value is double;
                case "boolean": return value is bool;
                case "true": return value is bool t && t;
                case "false": return value is bool f && !f;
                case "mapping": return value is Dictionary<string, object?>;
                case "sequence": return value is List<object?> || value is string || value is Dictionary<string, object?>;
                case "iterable": return value is List<object?> || value is string || value is Dictionary<string, object?>;
                case "callable": return value is JinjaFunction;
                case "odd": return JinjaValues.ToLong(value, line) % 2 != 0;
                case "even": return JinjaValues.ToLong(value, line) % 2 == 0;
                case "divisibleby": return JinjaValues.ToLong(value, line) % JinjaValues.ToLong(Arg(0), line) == 0;
                case "lower": return value is string lower && lower == lower.ToLowerInvariant();
                case "upper": return value is string upper && upper == upper.ToUpperInvariant();
                case "equalto":
                case "eq":
                case "==": return JinjaValues.AreEqual(value, Arg(0));
                case "ne":
                case "!=": return !JinjaValues.AreEqual(value, Arg(0));
                case "lt":
                case "lessthan":
                case "<": return JinjaValues.Compare(value, Arg(0), line) < 0;
                case "le":
                case "<=": return JinjaValues.Compare(value, Arg(0), line) <= 0;
                case "gt":
                case "greaterthan":
                case ">": return JinjaValues.Compare(value, Arg(0), line) > 0;
                case "ge":
                case ">=": return JinjaValues.Compare(value, Arg(0), line) >= 0;
                case "in": return JinjaValues.Contains(Arg(0), value, line);
                case "sameas": return ReferenceEquals(value, Arg(0)) || (value == null && Arg(0) == null) || JinjaValues.AreEqual(value, Arg(0)) && (value is bool || value == null);
                default: throw new ChatTemplateException("Unknown test '" + name + "'.", line);
            }
        }

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
                    return chars is string c ? text.Trim(c.ToCharArray()) : text.Trim(PythonWhitespace);
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
                    return string.Join(separator, items.Select(i => JinjaValues.ToStr(attribute is string a ? GetAttribute(i, a, line) : i)));
                }
                case "tojson":
                {
                    var indent = Arg(0, "indent", null);
                    var indentWidth = indent == null || indent is Undefined ? (int?)null : (int)JinjaValues.ToLong(indent, line);
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
                    return old.Length == 0 ? text : text.Replace(old, replacement);
                }
                case "int":
                    return ToInt(value, Arg(0, "default", 0L));
                case "float":
                    return ToFloat(value, Arg(0, "default", 0.0));
                case "abs":
                    return value is double dv ? Math.Abs(dv) : (object)Math.Abs(JinjaValues.ToLong(value, line));
                case "unique":
                {
                    var unique = new List<object?>();
                    foreach (var item in JinjaValues.Iterate(value, line))
                        if (!unique.Any(u => JinjaValues.AreEqual(u, item))) unique.Add(item);
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
                    items.Sort((a, b) => JinjaValues.Compare(attribute == null ? a : GetAttribute(a, attribute, line), attribute == null ? b : GetAttribute(b, attribute, line), line));
                    if (reverse) items.Reverse();
                    return items;
                }
                case "indent":
                {
                    var width = Arg(0, "width", 4L);
                    var pad = width is string ps ? ps : new string(' ', (int)JinjaValues.ToLong(width, line));
                    var first = JinjaValues.Truthy(Arg(1, "first", false));
                    var lines = JinjaValues.ToStr(value).Split('\n');
                    for (var i = 0; i < lines.Length; i++)
                        if ((i > 0 || first) && lines[i].Length > 0) lines[i] = pad + lines[i];
                    return string.Join("\n", lines);
                }
                case "wordcount":
                    return (long)JinjaValues.ToStr(value).Split(PythonWhitespace, StringSplitOptions.RemoveEmptyEntries).Length;
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

        private static object? ToInt(object? value, object? fallback)
        {
            switch (value)
            {
                case long l: return l;
                case bool b: return b ? 1L : 0L;
                case double d: return (long)Math.Truncate(d);
                case string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed): return parsed;
                case string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var real): return (long)Math.Truncate(real);
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
                case string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var real): return real;
                default: return fallback;
            }
        }

        private static string Capitalize(string text) =>
            text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text.Substring(1).ToLowerInvariant();

        private static string Escape(string text) =>
            text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");

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
                    return new JinjaFunction(name, (args, _) => Chars(args, 0) is string c ? s.Trim(c.ToCharArray()) : s.Trim(PythonWhitespace));
                case "lstrip":
                    return new JinjaFunction(name, (args, _) => Chars(args, 0) is string c ? s.TrimStart(c.ToCharArray()) : s.TrimStart(PythonWhitespace));
                case "rstrip":
                    return new JinjaFunction(name, (args, _) => Chars(args, 0) is string c ? s.TrimEnd(c.ToCharArray()) : s.TrimEnd(PythonWhitespace));
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
                        return Split(s, separator as string, max);
                    });
                case "replace":
                    return new JinjaFunction(name, (args, _) =>
                    {
                        var old = args.Count > 0 ? JinjaValues.ToStr(args[0]) : "";
                        var replacement = args.Count > 1 ? JinjaValues.ToStr(args[1]) : "";
                        return old.Length == 0 ? s : s.Replace(old, replacement);
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
                    return new JinjaFunction(name, (args, _) => string.Join(s, JinjaValues.Iterate(args.Count > 0 ? args[0] : null, line).Select(JinjaValues.ToStr)));
                case "splitlines":
                    return new JinjaFunction(name, (_, __) => s.Replace("\r\n", "\n").Split('\n').Select(x => (object?)x).ToList());
                case "isdigit": return new JinjaFunction(name, (_, __) => s.Length > 0 && s.All(char.IsDigit));
                case "isspace": return new JinjaFunction(name, (_, __) => s.Length > 0 && s.All(char.IsWhiteSpace));
                default: return null;
            }
        }

        private static IEnumerable<string> Prefixes(List<object?> args, int line)
        {
            if (args.Count == 0) throw new ChatTemplateException("startswith/endswith need an argument.", line);
            return args[0] is List<object?> options ? options.Select(JinjaValues.ToStr) : new[] { JinjaValues.ToStr(args[0]) };
        }

        private static List<object?> Split(string s, string? separator, long max)
        {
            var parts = new List<object?>();
            if (separator == null)
            {
                var position = 0;
                while (true)
                {
                    while (position < s.Length && char.IsWhiteSpace(s[position])) position++;
                    if (position >= s.Length) break;
                    if (max >= 0 && parts.Count == max)
                    {
                        parts.Add(s.Substring(position).TrimEnd(PythonWhitespace));
                        break;
                    }
                    var end = position;
                    while (end < s.Length && !char.IsWhiteSpace(s[end])) end++;
                    parts.Add(s.Substring(position, end - position));
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
                start = index + separator.Length;
            }
        }

        private static string Strftime(DateTime time, string format)
        {
            var builder = new StringBuilder();
            for (var i = 0; i < format.Length; i++)
            {
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
}

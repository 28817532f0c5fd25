using System.Collections;
using System.Globalization;
using System.Text;

namespace BedrockImport.Engine.Invocation.Jinja;

/// <summary>A name the template used but nobody defined. Renders as "", is falsy, iterates as empty.</summary>
internal sealed class Undefined
{
    public static readonly Undefined Instance = new Undefined();
    private Undefined() { }
    public override string ToString() => "";
}

/// <summary>namespace(...): the one mutable object a template can change from inside a loop.</summary>
internal sealed class JinjaNamespace
{
    public readonly Dictionary<string, object?> Attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
}

/// <summary>The loop variable of one iteration. Its attributes are worked out when asked for: a dictionary of them
/// built for every iteration was most of what a loop cost (and a template may run a million).</summary>
internal sealed class JinjaLoop
{
    private readonly List<object?> _items;
    private readonly int _index;

    public JinjaLoop(List<object?> items, int index)
    {
        _items = items;
        _index = index;
    }

    public object? Get(string name)
    {
        var count = _items.Count;
        switch (name)
        {
            case "index0": return (long)_index;
            case "index": return (long)(_index + 1);
            case "revindex0": return (long)(count - _index - 1);
            case "revindex": return (long)(count - _index);
            case "first": return _index == 0;
            case "last": return _index == count - 1;
            case "length": return (long)count;
            case "previtem": return _index > 0 ? _items[_index - 1] : Undefined.Instance;
            case "nextitem": return _index < count - 1 ? _items[_index + 1] : Undefined.Instance;
            case "cycle": return new JinjaFunction("cycle", (args, _) => args.Count == 0 ? Undefined.Instance : args[_index % args.Count]);
            default: return Undefined.Instance;
        }
    }

    public override string ToString() => "<LoopContext " + (_index + 1) + "/" + _items.Count + ">";
}

internal delegate object? JinjaCallable(List<object?> args, Dictionary<string, object?> kwargs);

internal sealed class JinjaFunction
{
    public JinjaFunction(string name, JinjaCallable call)
    {
        Name = name;
        Call = call;
    }

    public string Name { get; }
    public JinjaCallable Call { get; }
}

/// <summary>Python/Jinja semantics over the value model: null (none), Undefined, bool, long, double, string,
/// List&lt;object?&gt; (list and tuple), Dictionary&lt;string, object?&gt; (dict), JinjaNamespace, JinjaFunction.</summary>
internal static class JinjaValues
{
    public static bool IsUndefined(object? value) => value is Undefined;

    public static bool IsNumber(object? value) => value is long || value is double || value is bool;

    public static bool Truthy(object? value)
    {
        switch (value)
        {
            case null: return false;
            case Undefined _: return false;
            case bool b: return b;
            case long l: return l != 0;
            case double d: return d != 0;
            case string s: return s.Length > 0;
            case List<object?> list: return list.Count > 0;
            case Dictionary<string, object?> dict: return dict.Count > 0;
            default: return true;
        }
    }

    /// <summary>Converts caller-supplied .NET values (dictionaries, enumerables, numbers) into the value model.</summary>
    public static object? FromDotNet(object? value) => FromDotNet(value, 0);

    private static object? FromDotNet(object? value, int depth)
    {
        // A hashtable that contains itself must end in an error, not in a stack overflow.
        JinjaLimits.Current.CheckDepth(depth);
        switch (value)
        {
            case null: return null;
            case string s: return s;
            case bool b: return b;
            case int i: return (long)i;
            case long l: return l;
            case short sh: return (long)sh;
            case byte by: return (long)by;
            case uint ui: return (long)ui;
            case double d: return d;
            case float f: return (double)f;
            case decimal m: return (double)m;
            case ChatMessage message:
                return new Dictionary<string, object?>(StringComparer.Ordinal) { ["role"] = message.Role, ["content"] = message.Content };
            case Undefined _:
            case JinjaNamespace _:
            case JinjaFunction _:
                return value;
            case IDictionary dictionary:
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (DictionaryEntry entry in dictionary) map[Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? ""] = FromDotNet(entry.Value, depth + 1);
                return map;
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                var pairMap = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var pair in pairs) pairMap[pair.Key] = FromDotNet(pair.Value, depth + 1);
                return pairMap;
            case IEnumerable sequence:
                var list = new List<object?>();
                foreach (var item in sequence) list.Add(FromDotNet(item, depth + 1));
                return list;
            default:
                return Convert.ToString(value, CultureInfo.InvariantCulture);
        }
    }

    /// <summary>str(value) as Python prints it. Lists and dicts print within MaxOutputLength and MaxNestingDepth (a
    /// list can hold the same long string a million times, or itself nested a million deep).</summary>
    public static string ToStr(object? value)
    {
        switch (value)
        {
            case null: return "None";
            case Undefined _: return "";
            case string s: return s;
            case bool b: return b ? "True" : "False";
            case long l: return l.ToString(CultureInfo.InvariantCulture);
            case double d: return FloatRepr(d);
            case List<object?> _:
            case Dictionary<string, object?> _:
                var builder = new StringBuilder();
                WriteRepr(builder, value, 0, JinjaLimits.Current);
                return builder.ToString();
            case JinjaNamespace _: return "<Namespace>";
            case JinjaFunction f: return "<function " + f.Name + ">";
            default: return value.ToString() ?? "";
        }
    }

    /// <summary>repr(value): strings quoted, the rest as str().</summary>
    public static string Repr(object? value)
    {
        if (!(value is string)) return ToStr(value);
        var builder = new StringBuilder();
        WriteRepr(builder, value, 0, JinjaLimits.Current);
        return builder.ToString();
    }

    private static void WriteRepr(StringBuilder builder, object? value, int depth, JinjaLimits limits)
    {
        switch (value)
        {
            case string s:
                WriteQuoted(builder, s);
                break;
            case List<object?> list:
                limits.CheckDepth(depth);
                builder.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0) builder.Append(", ");
                    WriteRepr(builder, list[i], depth + 1, limits);
                    limits.CheckLength(builder.Length);
                }
                builder.Append(']');
                break;
            case Dictionary<string, object?> dict:
                limits.CheckDepth(depth);
                builder.Append('{');
                var first = true;
                foreach (var pair in dict)
                {
                    if (!first) builder.Append(", ");
                    first = false;
                    WriteQuoted(builder, pair.Key);
                    builder.Append(": ");
                    WriteRepr(builder, pair.Value, depth + 1, limits);
                    limits.CheckLength(builder.Length);
                }
                builder.Append('}');
                break;
            default:
                builder.Append(ToStr(value));
                break;
        }
    }

    private static void WriteQuoted(StringBuilder builder, string s)
    {
        var quote = s.IndexOf('\'') >= 0 && s.IndexOf('"') < 0 ? '"' : '\'';
        builder.Append(quote);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c == quote) builder.Append('\\');
                    builder.Append(c);
                    break;
            }
        }
        builder.Append(quote);
    }

    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (Math.Floor(d) == d && Math.Abs(d) < 1e16) return d.ToString("F1", CultureInfo.InvariantCulture);
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E');
        if (e < 0) return text;
        var exponent = int.Parse(text.Substring(e + 1), CultureInfo.InvariantCulture);
        return text.Substring(0, e) + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
    }

    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        Undefined _ => "Undefined",
        bool _ => "bool",
        long _ => "int",
        double _ => "float",
        string _ => "str",
        List<object?> _ => "list",
        Dictionary<string, object?> _ => "dict",
        JinjaLoop _ => "LoopContext",
        _ => value.GetType().Name,
    };

    public static bool AreEqual(object? a, object? b) => AreEqual(a, b, 0);

    private static bool AreEqual(object? a, object? b, int depth)
    {
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (a == null || b == null) return a == null && b == null;
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a) == ToDouble(b);
        if (a is string sa && b is string sb) return string.Equals(sa, sb, StringComparison.Ordinal);
        if (a is List<object?> la && b is List<object?> lb)
        {
            if (la.Count != lb.Count) return false;
            JinjaLimits.Current.CheckDepth(depth);
            return la.Zip(lb, (x, y) => AreEqual(x, y, depth + 1)).All(x => x);
        }
        if (a is Dictionary<string, object?> da && b is Dictionary<string, object?> db)
        {
            if (da.Count != db.Count) return false;
            JinjaLimits.Current.CheckDepth(depth);
            return da.All(p => db.TryGetValue(p.Key, out var v) && AreEqual(p.Value, v, depth + 1));
        }
        return ReferenceEquals(a, b);
    }

    public static int Compare(object? a, object? b, int line) => Compare(a, b, line, 0);

    private static int Compare(object? a, object? b, int line, int depth)
    {
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a).CompareTo(ToDouble(b));
        if (a is string sa && b is string sb) return string.CompareOrdinal(sa, sb);
        if (a is List<object?> la && b is List<object?> lb)
        {
            JinjaLimits.Current.CheckDepth(depth, line);
            for (var i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                var c = Compare(la[i], lb[i], line, depth + 1);
                if (c != 0) return c;
            }
            return la.Count.CompareTo(lb.Count);
        }
        throw new ChatTemplateException("Cannot compare " + TypeName(a) + " with " + TypeName(b) + ".", line);
    }

    public static double ToDouble(object? value) => value switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new InvalidCastException(),
    };

    public static long ToLong(object? value, int line) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d when Math.Floor(d) == d => DoubleToLong(d, line),
        _ => throw new ChatTemplateException("Expected an integer, got " + TypeName(value) + ".", line),
    };

    /// <summary>A whole double as a long; one past the 64-bit range (or infinite, or NaN) is a template error, not a
    /// saturated or undefined conversion.</summary>
    public static long DoubleToLong(double d, int line)
    {
        // 2**63 is exact as a double; every double below it and at or above -2**63 converts exactly.
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
            throw JinjaBuiltins.IntegerOverflow(FloatRepr(d), line);
        return (long)d;
    }

    public static bool Contains(object? container, object? item, int line)
    {
        switch (container)
        {
            case string s:
                if (!(item is string sub)) throw new ChatTemplateException("'in <string>' requires a string, not " + TypeName(item) + ".", line);
                return s.IndexOf(sub, StringComparison.Ordinal) >= 0;
            case List<object?> list: return list.Any(x => AreEqual(x, item));
            case Dictionary<string, object?> dict: return item is string key && dict.ContainsKey(key);
            case JinjaNamespace ns: return item is string name && ns.Attributes.ContainsKey(name);
            case Undefined _: return false;
            case null: throw new ChatTemplateException("Argument of type 'NoneType' is not iterable.", line);
            default: throw new ChatTemplateException("Argument of type '" + TypeName(container) + "' is not iterable.", line);
        }
    }

    public static List<object?> Iterate(object? value, int line)
    {
        switch (value)
        {
            case List<object?> list: return list;
            case Dictionary<string, object?> dict: return dict.Keys.Cast<object?>().ToList();
            case string s:
                JinjaLimits.Current.CheckItems(s.Length, line);
                return s.Select(c => (object?)c.ToString()).ToList();
            case Undefined _: return new List<object?>();
            default: throw new ChatTemplateException("'" + TypeName(value) + "' object is not iterable.", line);
        }
    }

    public static int Length(object? value, int line) => value switch
    {
        string s => s.Length,
        List<object?> l => l.Count,
        Dictionary<string, object?> d => d.Count,
        Undefined _ => 0,
        _ => throw new ChatTemplateException("Object of type '" + TypeName(value) + "' has no len().", line),
    };

    /// <summary>json.dumps(value, ensure_ascii=False, indent=indent, separators=..., sort_keys=...) as Hugging Face's tojson does.</summary>
    /// <remarks>Bounded by MaxOutputLength and MaxNestingDepth as <see cref="ToStr"/> is.</remarks>
    public static string ToJson(object? value, int? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        var builder = new StringBuilder();
        WriteJson(builder, value, indent, itemSeparator, keySeparator, sortKeys, 0);
        return builder.ToString();
    }

    private static void WriteJson(StringBuilder b, object? value, int? indent, string itemSep, string keySep, bool sortKeys, int depth)
    {
        switch (value)
        {
            case null:
            case Undefined _:
                b.Append("null");
                return;
            case bool x: b.Append(x ? "true" : "false"); return;
            case long l: b.Append(l.ToString(CultureInfo.InvariantCulture)); return;
            case double d: b.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : FloatRepr(d)); return;
            case string s: JsonString(b, s); return;
            case List<object?> list:
                WriteContainer(b, '[', ']', list.Count, indent, itemSep, depth, i => WriteJson(b, list[i], indent, itemSep, keySep, sortKeys, depth + 1));
                return;
            case Dictionary<string, object?> dict:
                var keys = sortKeys ? dict.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList() : dict.Keys.ToList();
                WriteContainer(b, '{', '}', keys.Count, indent, itemSep, depth, i =>
                {
                    JsonString(b, keys[i]);
                    b.Append(keySep);
                    WriteJson(b, dict[keys[i]], indent, itemSep, keySep, sortKeys, depth + 1);
                });
                return;
            case JinjaNamespace ns:
                WriteJson(b, new Dictionary<string, object?>(ns.Attributes), indent, itemSep, keySep, sortKeys, depth);
                return;
            default:
                JsonString(b, ToStr(value));
                return;
        }
    }

    private static void WriteContainer(StringBuilder b, char open, char close, int count, int? indent, string itemSep, int depth, Action<int> writeItem)
    {
        var limits = JinjaLimits.Current;
        limits.CheckDepth(depth);
        if (indent != null) limits.CheckLength(b.Length + (long)indent.Value * (depth + 1));
        b.Append(open);
        if (count == 0) { b.Append(close); return; }
        for (var i = 0; i < count; i++)
        {
            if (i > 0) b.Append(itemSep);
            if (indent != null) b.Append('\n').Append(' ', indent.Value * (depth + 1));
            writeItem(i);
            limits.CheckLength(b.Length);
        }
        if (indent != null) b.Append('\n').Append(' ', indent.Value * depth);
        b.Append(close);
    }

    private static void JsonString(StringBuilder b, string s)
    {
        b.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                case '\b': b.Append("\\b"); break;
                case '\f': b.Append("\\f"); break;
                default:
                    if (c < 0x20) b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else b.Append(c);
                    break;
            }
        }
        b.Append('"');
    }
}

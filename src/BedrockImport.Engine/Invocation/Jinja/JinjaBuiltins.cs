using System.Text;

namespace BedrockImport.Engine.Invocation.Jinja;

/// <summary>Operators, attribute access, filters, tests and global functions: the part of Jinja2 (as Hugging Face
/// sets it up for chat templates) that Llama, Mistral and Qwen templates use.</summary>
internal static partial class JinjaBuiltins
{
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
}

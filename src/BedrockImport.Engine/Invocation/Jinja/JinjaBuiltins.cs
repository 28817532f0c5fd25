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
            // Counted before it is built, and in decimal so that range(-2**62, 2**62) cannot overflow the count.
            var count = step > 0 ? (stop > start ? ((decimal)stop - start + step - 1) / step : 0) : (start > stop ? ((decimal)start - stop - step - 1) / -(decimal)step : 0);
            JinjaLimits.Current.CheckItems((long)Math.Min(Math.Floor(count), long.MaxValue));
            var list = new List<object?>((int)Math.Floor(count));
            for (long i = 0, value = start; i < list.Capacity; i++, value += step) list.Add(value);
            return list;
        }));
        scope.Set("strftime_now", new JinjaFunction("strftime_now", (args, _) =>
            Strftime(now(), args.Count > 0 ? JinjaValues.ToStr(args[0]) : "%Y-%m-%d")));
    }

    public static object? GetAttribute(object? target, string name, int line)
    {
        // Python's object internals (__class__, __globals__, __init__, __subclasses__, ...) are what sandbox escapes
        // climb; nothing here is a Python object, and such a name is undefined whatever it is asked of, even a dict
        // that has it as a key (Jinja's sandbox does the same). Items (x['__class__']) stay plain dictionary lookups.
        if (name.StartsWith("__", StringComparison.Ordinal)) return Undefined.Instance;
        switch (target)
        {
            case Dictionary<string, object?> dict:
                var method = DictMethod(dict, name);
                if (method != null) return method;
                return dict.TryGetValue(name, out var value) ? value : Undefined.Instance;
            case JinjaNamespace ns:
                return ns.Attributes.TryGetValue(name, out var attribute) ? attribute : Undefined.Instance;
            case JinjaLoop loop:
                return loop.Get(name);
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
        var text = target as string;
        var items = target as List<object?>;
        if (text == null && items == null)
        {
            if (target is Undefined) return Undefined.Instance;
            throw new ChatTemplateException("'" + JinjaValues.TypeName(target) + "' object cannot be sliced.", line);
        }

        var count = text?.Length ?? items!.Count;
        long Normalize(long? value, long whenMissing, long low, long high)
        {
            if (value == null) return whenMissing;
            var v = value.Value < 0 ? value.Value + count : value.Value;
            return Math.Max(low, Math.Min(high, v));
        }
        var picked = new List<int>();
        if (s > 0)
        {
            var from = Normalize(start, 0, 0, count);
            var to = Normalize(stop, count, 0, count);
            if (s == 1 && text != null) return from < to ? text.Substring((int)from, (int)(to - from)) : "";
            // Stepping compares the distance left with the step: i + s can wrap round for a step near long.MaxValue.
            for (var i = from; i < to; i = to - i > s ? i + s : to) picked.Add((int)i);
        }
        else
        {
            var from = Normalize(start, count - 1, -1, count - 1);
            var to = Normalize(stop, -1, -1, count - 1);
            for (var i = from; i > to; i = s != long.MinValue && i - to > -s ? i + s : to) picked.Add((int)i);
        }
        if (text != null)
        {
            var builder = new StringBuilder(picked.Count);
            foreach (var i in picked) builder.Append(text[i]);
            return builder.ToString();
        }
        return picked.Select(i => items![i]).ToList();
    }

    public static object? Arithmetic(string op, object? left, object? right, int line)
    {
        var limits = JinjaLimits.Current;
        if (op == "~") return Concat(JinjaValues.ToStr(left), JinjaValues.ToStr(right), limits, line);
        if (op == "+")
        {
            if (left is string ls && right is string rs) return Concat(ls, rs, limits, line);
            if (left is List<object?> ll && right is List<object?> rl)
            {
                limits.CheckItems((long)ll.Count + rl.Count, line);
                return ll.Concat(rl).ToList();
            }
        }
        if (op == "*")
        {
            if (left is string s && (right is long || right is bool)) return Repeat(s, JinjaValues.ToLong(right, line), limits, line);
            if (left is List<object?> l && (right is long || right is bool))
            {
                var times = Math.Max(0, JinjaValues.ToLong(right, line));
                // Compared by division: l.Count * times can overflow a long and come out small.
                if (l.Count > 0 && times > limits.MaxLoopIterations / l.Count) limits.CheckItems(limits.MaxLoopIterations + 1L, line);
                return Enumerable.Range(0, (int)times).SelectMany(_ => l).ToList();
            }
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
            // Python's integers have no bound; these are 64-bit, and a result past that is a template error
            // (never a silent wrap, never an OverflowException).
            try
            {
                switch (op)
                {
                    case "+": return checked(a + b);
                    case "-": return checked(a - b);
                    case "*": return checked(a * b);
                    case "/":
                        if (b == 0) throw new ChatTemplateException("Division by zero.", line);
                        return (double)a / b;
                    case "//":
                        if (b == 0) throw new ChatTemplateException("Division by zero.", line);
                        return FloorDivide(a, b);
                    case "%":
                        if (b == 0) throw new ChatTemplateException("Modulo by zero.", line);
                        if (b == -1) return 0L; // long.MinValue % -1 throws in .NET; the answer is 0 for every a
                        var remainder = a % b;
                        return remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder;
                    case "**": return b >= 0 ? (object)Power(a, b) : Math.Pow(a, b);
                }
            }
            catch (OverflowException)
            {
                throw IntegerOverflow(JinjaValues.ToStr(a) + " " + op + " " + JinjaValues.ToStr(b), line);
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

    /// <summary>The error for an integer past 64 bits: <paramref name="what"/> names the literal or operation.</summary>
    internal static ChatTemplateException IntegerOverflow(string what, int line) =>
        new ChatTemplateException(what + " does not fit in a 64-bit integer (chat templates compute with 64-bit integers).", line);

    /// <summary>a // b rounded toward negative infinity, exactly (through a double, 2**62 + 1 // 1 would lose its last bit).</summary>
    private static long FloorDivide(long a, long b)
    {
        var quotient = checked(a / b); // long.MinValue / -1 is the one quotient that overflows
        return a % b != 0 && (a < 0) != (b < 0) ? quotient - 1 : quotient;
    }

    /// <summary>a ** b for b >= 0 by repeated squaring, checked at every step.</summary>
    private static long Power(long a, long b)
    {
        if (a == 0) return b == 0 ? 1 : 0;
        if (a == 1) return 1;
        if (a == -1) return (b & 1) == 0 ? 1 : -1;
        long result = 1;
        var square = a;
        while (true)
        {
            if ((b & 1) != 0) result = checked(result * square);
            b >>= 1;
            if (b == 0) return result;
            square = checked(square * square);
        }
    }

    /// <summary>str.replace, counted before it is built: one character replaced by a long string, everywhere in a long
    /// text, would otherwise be a string of terabytes.</summary>
    private static string Replace(string text, string old, string replacement, int line)
    {
        if (old.Length == 0) return text;
        if (replacement.Length > old.Length)
        {
            long occurrences = 0;
            for (var i = text.IndexOf(old, StringComparison.Ordinal); i >= 0; i = text.IndexOf(old, i + old.Length, StringComparison.Ordinal)) occurrences++;
            JinjaLimits.Current.CheckLength(text.Length + occurrences * (replacement.Length - old.Length), line);
        }
        return text.Replace(old, replacement);
    }

    /// <summary>separator.join(items), counted before it is built (the same long string a million times over).</summary>
    private static string Join(string separator, IEnumerable<string> items, int line)
    {
        var parts = items.ToList();
        long length = parts.Count > 0 ? (long)separator.Length * (parts.Count - 1) : 0;
        foreach (var part in parts) length += part.Length;
        JinjaLimits.Current.CheckLength(length, line);
        return string.Join(separator, parts);
    }

    private static string Concat(string left, string right, JinjaLimits limits, int line)
    {
        limits.CheckLength((long)left.Length + right.Length, line);
        return left + right;
    }

    private static string Repeat(string s, long times, JinjaLimits limits, int line)
    {
        if (times <= 0 || s.Length == 0) return "";
        // Compared by division: s.Length * times can overflow a long and come out small (or negative).
        if (times > limits.MaxOutputLength / s.Length) limits.CheckLength(limits.MaxOutputLength + 1L, line);
        var builder = new StringBuilder(s.Length * (int)times);
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

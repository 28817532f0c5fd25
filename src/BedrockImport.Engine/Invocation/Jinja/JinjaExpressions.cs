namespace BedrockImport.Engine.Invocation.Jinja;

internal abstract class Expr
{
    protected Expr(int line) { Line = line; }

    /// <summary>A node over <paramref name="children"/>: its depth is checked as it is built, so evaluating it cannot
    /// run deeper than MaxNestingDepth (a long chain like a ~ b ~ c ~ ... nests one level per operator).</summary>
    protected Expr(int line, params Expr?[] children) : this(line, (IEnumerable<Expr?>)children) { }

    protected Expr(int line, IEnumerable<Expr?> children)
    {
        Line = line;
        var deepest = 0;
        foreach (var child in children)
            if (child != null && child.Depth > deepest) deepest = child.Depth;
        Depth = deepest + 1;
        JinjaLimits.Current.CheckDepth(Depth, line);
    }

    public int Line { get; }

    /// <summary>Levels of the tree under this node, itself included.</summary>
    public int Depth { get; } = 1;
    public abstract object? Eval(RenderContext context);
}

internal sealed class LiteralExpr : Expr
{
    private readonly object? _value;
    public LiteralExpr(object? value, int line) : base(line) { _value = value; }
    public override object? Eval(RenderContext context) => _value;
}

internal sealed class NameExpr : Expr
{
    public NameExpr(string name, int line) : base(line) { Name = name; }
    public string Name { get; }
    public override object? Eval(RenderContext context) => context.Scope.Lookup(Name);
}

internal sealed class ListExpr : Expr
{
    private readonly List<Expr> _items;
    public ListExpr(List<Expr> items, int line) : base(line, items) { _items = items; }
    public override object? Eval(RenderContext context) => context.Limits.CheckValue(_items.Select(i => i.Eval(context)).ToList(), Line);
}

internal sealed class DictExpr : Expr
{
    private readonly List<KeyValuePair<Expr, Expr>> _items;
    public DictExpr(List<KeyValuePair<Expr, Expr>> items, int line) : base(line, items.SelectMany(i => new[] { i.Key, i.Value })) { _items = items; }

    public override object? Eval(RenderContext context)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var item in _items) map[JinjaValues.ToStr(item.Key.Eval(context))] = item.Value.Eval(context);
        return context.Limits.CheckValue(map, Line);
    }
}

internal sealed class AttributeExpr : Expr
{
    private readonly Expr _target;
    private readonly string _name;
    public AttributeExpr(Expr target, string name, int line) : base(line, target) { _target = target; _name = name; }
    public override object? Eval(RenderContext context) => JinjaBuiltins.GetAttribute(_target.Eval(context), _name, Line);
}

internal sealed class ItemExpr : Expr
{
    private readonly Expr _target;
    private readonly Expr _key;
    public ItemExpr(Expr target, Expr key, int line) : base(line, target, key) { _target = target; _key = key; }
    public override object? Eval(RenderContext context) => JinjaBuiltins.GetItem(_target.Eval(context), _key.Eval(context), Line);
}

internal sealed class SliceExpr : Expr
{
    private readonly Expr _target;
    private readonly Expr? _start, _stop, _step;

    public SliceExpr(Expr target, Expr? start, Expr? stop, Expr? step, int line) : base(line, target, start, stop, step)
    {
        _target = target;
        _start = start;
        _stop = stop;
        _step = step;
    }

    public override object? Eval(RenderContext context)
    {
        var target = _target.Eval(context);
        long? Bound(Expr? e)
        {
            var value = e?.Eval(context);
            return value == null || value is Undefined ? (long?)null : JinjaValues.ToLong(value, Line);
        }
        return context.Limits.CheckValue(JinjaBuiltins.Slice(target, Bound(_start), Bound(_stop), Bound(_step), Line), Line);
    }
}

internal sealed class CallExpr : Expr
{
    private readonly Expr _target;
    private readonly List<Expr> _args;
    private readonly List<KeyValuePair<string, Expr>> _kwargs;

    public CallExpr(Expr target, List<Expr> args, List<KeyValuePair<string, Expr>> kwargs, int line)
        : base(line, args.Concat(kwargs.Select(k => k.Value)).Prepend(target))
    {
        _target = target;
        _args = args;
        _kwargs = kwargs;
    }

    public override object? Eval(RenderContext context)
    {
        var target = _target.Eval(context);
        if (!(target is JinjaFunction function))
        {
            var what = _target is NameExpr name ? "'" + name.Name + "'" : "this value";
            throw new ChatTemplateException(what + " is not callable" + (target is Undefined ? " (it is undefined)" : "") + ".", Line);
        }
        var args = _args.Select(a => a.Eval(context)).ToList();
        var kwargs = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kwarg in _kwargs) kwargs[kwarg.Key] = kwarg.Value.Eval(context);
        try
        {
            return context.Limits.CheckValue(function.Call(args, kwargs), Line);
        }
        catch (ChatTemplateRaisedException raised) when (raised.TemplateLine == 0)
        {
            throw new ChatTemplateRaisedException(raised.TemplateMessage, Line);
        }
        catch (ChatTemplateRaisedException)
        {
            throw;
        }
        catch (ChatTemplateLimitException e) when (e.Line == 0)
        {
            throw e.With(null, Line);
        }
        catch (ChatTemplateException e) when (e.Line == 0)
        {
            throw new ChatTemplateException(e.Message, Line, e);
        }
    }
}

internal sealed class FilterExpr : Expr
{
    private readonly Expr _target;
    private readonly string _name;
    private readonly List<Expr> _args;
    private readonly List<KeyValuePair<string, Expr>> _kwargs;

    public FilterExpr(Expr target, string name, List<Expr> args, List<KeyValuePair<string, Expr>> kwargs, int line)
        : base(line, args.Concat(kwargs.Select(k => k.Value)).Prepend(target))
    {
        _target = target;
        _name = name;
        _args = args;
        _kwargs = kwargs;
    }

    public override object? Eval(RenderContext context)
    {
        var value = _target.Eval(context);
        var args = _args.Select(a => a.Eval(context)).ToList();
        var kwargs = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kwarg in _kwargs) kwargs[kwarg.Key] = kwarg.Value.Eval(context);
        return context.Limits.CheckValue(JinjaBuiltins.ApplyFilter(_name, value, args, kwargs, context, Line), Line);
    }
}

internal sealed class TestExpr : Expr
{
    private readonly Expr _target;
    private readonly string _name;
    private readonly List<Expr> _args;
    private readonly bool _negated;

    public TestExpr(Expr target, string name, List<Expr> args, bool negated, int line) : base(line, args.Prepend(target))
    {
        _target = target;
        _name = name;
        _args = args;
        _negated = negated;
    }

    public override object? Eval(RenderContext context)
    {
        var result = JinjaBuiltins.ApplyTest(_name, _target.Eval(context), _args.Select(a => a.Eval(context)).ToList(), context, Line);
        return _negated ? !result : result;
    }
}

internal sealed class NotExpr : Expr
{
    private readonly Expr _operand;
    public NotExpr(Expr operand, int line) : base(line, operand) { _operand = operand; }
    public override object? Eval(RenderContext context) => !JinjaValues.Truthy(_operand.Eval(context));
}

internal sealed class NegateExpr : Expr
{
    private readonly Expr _operand;
    public NegateExpr(Expr operand, int line) : base(line, operand) { _operand = operand; }

    public override object? Eval(RenderContext context) => _operand.Eval(context) switch
    {
        long l => l == long.MinValue ? throw JinjaBuiltins.IntegerOverflow("-(" + l + ")", Line) : (object)(-l),
        double d => -d,
        bool b => b ? -1L : 0L,
        var other => throw new ChatTemplateException("Bad operand type for unary -: " + JinjaValues.TypeName(other) + ".", Line),
    };
}

internal sealed class AndExpr : Expr
{
    private readonly Expr _left, _right;
    public AndExpr(Expr left, Expr right, int line) : base(line, left, right) { _left = left; _right = right; }

    public override object? Eval(RenderContext context)
    {
        var left = _left.Eval(context);
        return JinjaValues.Truthy(left) ? _right.Eval(context) : left;
    }
}

internal sealed class OrExpr : Expr
{
    private readonly Expr _left, _right;
    public OrExpr(Expr left, Expr right, int line) : base(line, left, right) { _left = left; _right = right; }

    public override object? Eval(RenderContext context)
    {
        var left = _left.Eval(context);
        return JinjaValues.Truthy(left) ? left : _right.Eval(context);
    }
}

internal sealed class ConditionalExpr : Expr
{
    private readonly Expr _then, _condition;
    private readonly Expr? _else;

    public ConditionalExpr(Expr then, Expr condition, Expr? otherwise, int line) : base(line, then, condition, otherwise)
    {
        _then = then;
        _condition = condition;
        _else = otherwise;
    }

    public override object? Eval(RenderContext context) =>
        JinjaValues.Truthy(_condition.Eval(context)) ? _then.Eval(context) : _else != null ? _else.Eval(context) : Undefined.Instance;
}

internal sealed class CompareExpr : Expr
{
    private readonly Expr _first;
    private readonly List<KeyValuePair<string, Expr>> _rest;

    public CompareExpr(Expr first, List<KeyValuePair<string, Expr>> rest, int line) : base(line, rest.Select(r => r.Value).Prepend(first))
    {
        _first = first;
        _rest = rest;
    }

    public override object? Eval(RenderContext context)
    {
        var left = _first.Eval(context);
        foreach (var step in _rest)
        {
            var right = step.Value.Eval(context);
            bool holds;
            switch (step.Key)
            {
                case "==": holds = JinjaValues.AreEqual(left, right); break;
                case "!=": holds = !JinjaValues.AreEqual(left, right); break;
                case "<": holds = JinjaValues.Compare(left, right, Line) < 0; break;
                case "<=": holds = JinjaValues.Compare(left, right, Line) <= 0; break;
                case ">": holds = JinjaValues.Compare(left, right, Line) > 0; break;
                case ">=": holds = JinjaValues.Compare(left, right, Line) >= 0; break;
                case "in": holds = JinjaValues.Contains(right, left, Line); break;
                case "not in": holds = !JinjaValues.Contains(right, left, Line); break;
                default: throw new ChatTemplateException("Unknown comparison " + step.Key + ".", Line);
            }
            if (!holds) return false;
            left = right;
        }
        return true;
    }
}

internal sealed class BinaryExpr : Expr
{
    private readonly string _operator;
    private readonly Expr _left, _right;

    public BinaryExpr(string op, Expr left, Expr right, int line) : base(line, left, right)
    {
        _operator = op;
        _left = left;
        _right = right;
    }

    public override object? Eval(RenderContext context) =>
        context.Limits.CheckValue(JinjaBuiltins.Arithmetic(_operator, _left.Eval(context), _right.Eval(context), Line), Line);
}

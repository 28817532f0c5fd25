using System.Text;

namespace BedrockImport.Engine.Invocation.Jinja;

internal sealed class Scope
{
    private readonly Dictionary<string, object?> _variables = new Dictionary<string, object?>(StringComparer.Ordinal);

    public Scope(Scope? parent) { Parent = parent; }

    public Scope? Parent { get; }

    public object? Lookup(string name)
    {
        for (var scope = this; scope != null; scope = scope.Parent)
            if (scope._variables.TryGetValue(name, out var value)) return value;
        return Undefined.Instance;
    }

    public void Set(string name, object? value) => _variables[name] = value;
}

internal sealed class RenderContext
{
    public RenderContext(Scope scope, Func<DateTime> now, JinjaLimits limits, RenderClock clock)
    {
        Scope = scope;
        Now = now;
        Limits = limits;
        Clock = clock;
    }

    public Scope Scope { get; set; }
    public Func<DateTime> Now { get; }
    public JinjaLimits Limits { get; }
    public RenderClock Clock { get; }

    /// <summary>Macro calls under way (macros calling macros).</summary>
    public int Depth { get; set; }

    public int Iterations { get; set; }

    /// <summary>Appends to the output (or to a macro's or {% set %} block's text): each is bounded by MaxOutputLength.</summary>
    public void Append(StringBuilder output, string text, int line)
    {
        Limits.CheckLength((long)output.Length + text.Length, line);
        output.Append(text);
    }

    /// <summary>Counts one loop iteration, and checks the render's time on the way.</summary>
    public void CountIteration(int line)
    {
        if (++Iterations > Limits.MaxLoopIterations)
            throw new ChatTemplateLimitException(ChatTemplateLimit.LoopIterations, Limits.MaxLoopIterations, null, line);
        Clock.Check(line);
    }
}

internal enum Flow { Normal, Break, Continue }

internal abstract class Node
{
    protected Node(int line) { Line = line; }
    public int Line { get; }
    public abstract Flow Render(RenderContext context, StringBuilder output);

    public static Flow RenderAll(List<Node> nodes, RenderContext context, StringBuilder output)
    {
        // Blocks nest at most MaxNestingDepth deep (the parser saw to it); this guards the stack of a small-stack thread.
        context.Limits.CheckDepth(0, nodes.Count > 0 ? nodes[0].Line : 0);
        foreach (var node in nodes)
        {
            var flow = node.Render(context, output);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }
}

internal sealed class TextNode : Node
{
    private readonly string _text;
    public TextNode(string text, int line) : base(line) { _text = text; }
    public override Flow Render(RenderContext context, StringBuilder output) { context.Append(output, _text, Line); return Flow.Normal; }
}

internal sealed class OutputNode : Node
{
    private readonly Expr _expression;
    public OutputNode(Expr expression, int line) : base(line) { _expression = expression; }

    public override Flow Render(RenderContext context, StringBuilder output)
    {
        context.Append(output, JinjaValues.ToStr(_expression.Eval(context)), Line);
        return Flow.Normal;
    }
}

internal sealed class IfNode : Node
{
    private readonly List<KeyValuePair<Expr, List<Node>>> _branches;
    private readonly List<Node>? _else;

    public IfNode(List<KeyValuePair<Expr, List<Node>>> branches, List<Node>? elseBody, int line) : base(line)
    {
        _branches = branches;
        _else = elseBody;
    }

    public override Flow Render(RenderContext context, StringBuilder output)
    {
        foreach (var branch in _branches)
            if (JinjaValues.Truthy(branch.Key.Eval(context))) return RenderAll(branch.Value, context, output);
        return _else == null ? Flow.Normal : RenderAll(_else, context, output);
    }
}

internal sealed class ForNode : Node
{
    private readonly List<string> _targets;
    private readonly Expr _iterable;
    private readonly Expr? _filter;
    private readonly List<Node> _body;
    private readonly List<Node>? _else;

    public ForNode(List<string> targets, Expr iterable, Expr? filter, List<Node> body, List<Node>? elseBody, int line) : base(line)
    {
        _targets = targets;
        _iterable = iterable;
        _filter = filter;
        _body = body;
        _else = elseBody;
    }

    public override Flow Render(RenderContext context, StringBuilder output)
    {
        var outer = context.Scope;
        var items = JinjaValues.Iterate(_iterable.Eval(context), Line);
        if (_filter != null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                context.CountIteration(Line);
                context.Scope = new Scope(outer);
                Bind(context.Scope, item);
                if (JinjaValues.Truthy(_filter.Eval(context))) kept.Add(item);
            }
            context.Scope = outer;
            items = kept;
        }
        if (items.Count == 0)
            return _else == null ? Flow.Normal : RenderAll(_else, context, output);

        try
        {
            for (var i = 0; i < items.Count; i++)
            {
                context.CountIteration(Line);
                var scope = new Scope(outer);
                Bind(scope, items[i]);
                scope.Set("loop", new JinjaLoop(items, i));
                context.Scope = scope;
                if (RenderAll(_body, context, output) == Flow.Break) break;
            }
        }
        finally
        {
            context.Scope = outer;
        }
        return Flow.Normal;
    }

    private void Bind(Scope scope, object? item)
    {
        if (_targets.Count == 1)
        {
            scope.Set(_targets[0], item);
            return;
        }
        var parts = JinjaValues.Iterate(item, Line);
        if (parts.Count != _targets.Count)
            throw new ChatTemplateException("Cannot unpack " + parts.Count + " values into " + _targets.Count + " loop variables.", Line);
        for (var i = 0; i < parts.Count; i++) scope.Set(_targets[i], parts[i]);
    }
}

internal sealed class SetNode : Node
{
    private readonly string _name;
    private readonly string? _attribute;
    private readonly Expr? _value;
    private readonly List<Node>? _body;

    public SetNode(string name, string? attribute, Expr? value, List<Node>? body, int line) : base(line)
    {
        _name = name;
        _attribute = attribute;
        _value = value;
        _body = body;
    }

    public override Flow Render(RenderContext context, StringBuilder output)
    {
        object? value;
        if (_body != null)
        {
            var captured = new StringBuilder();
            RenderAll(_body, context, captured);
            value = context.Limits.CheckValue(captured.ToString(), Line);
        }
        else
        {
            value = _value!.Eval(context);
        }

        if (_attribute == null)
        {
            context.Scope.Set(_name, value);
            return Flow.Normal;
        }
        if (context.Scope.Lookup(_name) is JinjaNamespace ns)
        {
            ns.Attributes[_attribute] = value;
            return Flow.Normal;
        }
        throw new ChatTemplateException("Cannot assign attribute '" + _attribute + "' on '" + _name + "': only namespace() objects can be changed.", Line);
    }
}

internal sealed class LoopControlNode : Node
{
    private readonly Flow _flow;
    public LoopControlNode(Flow flow, int line) : base(line) { _flow = flow; }
    public override Flow Render(RenderContext context, StringBuilder output) => _flow;
}

/// <summary>{% generation %} (Hugging Face's assistant-mask marker) and similar wrappers: render the body as is.</summary>
internal sealed class BlockNode : Node
{
    private readonly List<Node> _body;
    public BlockNode(List<Node> body, int line) : base(line) { _body = body; }
    public override Flow Render(RenderContext context, StringBuilder output) => RenderAll(_body, context, output);
}

internal sealed class MacroNode : Node
{
    private readonly string _name;
    private readonly List<KeyValuePair<string, Expr?>> _parameters;
    private readonly List<Node> _body;

    public MacroNode(string name, List<KeyValuePair<string, Expr?>> parameters, List<Node> body, int line) : base(line)
    {
        _name = name;
        _parameters = parameters;
        _body = body;
    }

    public override Flow Render(RenderContext context, StringBuilder output)
    {
        var definingScope = context.Scope;
        context.Scope.Set(_name, new JinjaFunction(_name, (args, kwargs) =>
        {
            var scope = new Scope(definingScope);
            for (var i = 0; i < _parameters.Count; i++)
            {
                var parameter = _parameters[i];
                object? value;
                if (i < args.Count) value = args[i];
                else if (kwargs.TryGetValue(parameter.Key, out var named)) value = named;
                else value = parameter.Value != null ? parameter.Value.Eval(context) : Undefined.Instance;
                scope.Set(parameter.Key, value);
            }
            var saved = context.Scope;
            context.Clock.Check(Line);
            try
            {
                context.Limits.CheckDepth(++context.Depth, Line);
                context.Scope = scope;
                var result = new StringBuilder();
                RenderAll(_body, context, result);
                return result.ToString();
            }
            finally
            {
                context.Scope = saved;
                context.Depth--;
            }
        }));
        return Flow.Normal;
    }
}

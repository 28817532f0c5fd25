namespace BedrockImport.Engine.Invocation.Jinja;

/// <summary>Recursive-descent parser with Jinja2's precedence: conditional &lt; or &lt; and &lt; not &lt; comparisons &lt;
/// + - &lt; ~ &lt; * / // % &lt; ** &lt; unary, then postfix (. [] ()) and filters/tests, which bind tightest
/// (so <c>message['content'] | trim</c> trims only the content and <c>not x is defined</c> is not (x is defined)).</summary>
internal sealed partial class JinjaParser
{
    private static readonly HashSet<string> Unsupported = new HashSet<string>(StringComparer.Ordinal)
    {
        "include", "import", "from", "extends", "block", "call", "filter", "with", "autoescape", "do",
    };

    private readonly List<Piece> _pieces;
    private int _index;
    private List<Token> _tokens = new List<Token>();
    private int _position;

    private JinjaParser(List<Piece> pieces, JinjaLimits limits)
    {
        _pieces = pieces;
        _limits = limits;
    }

    private readonly JinjaLimits _limits;
    private int _nesting;

    public static List<Node> Parse(string source, JinjaLimits limits)
    {
        var previous = limits.Enter();
        try
        {
            var parser = new JinjaParser(JinjaLexer.Split(source), limits);
            var body = parser.ParseBody(Array.Empty<string>(), out var end);
            if (end != null) throw new ChatTemplateException("Unexpected {% " + end + " %}.", parser.CurrentLine);
            return body;
        }
        finally
        {
            JinjaLimits.Restore(previous);
        }
    }

    /// <summary>Enters one level of blocks, brackets or prefix operators; the parser recurses on each, so a template of
    /// a hundred thousand '(' must fail here rather than overflow the stack.</summary>
    private void Nest()
    {
        _nesting++;
        _limits.CheckDepth(_nesting, CurrentLine);
    }

    private void Unnest() => _nesting--;

    private int CurrentLine => _index > 0 && _index <= _pieces.Count ? _pieces[_index - 1].Line : 1;

    /// <summary>Parses nodes until one of the end keywords (returned in <paramref name="endKeyword"/>, with the token
    /// stream left after it) or the end of the template (endKeyword null).</summary>
    private List<Node> ParseBody(string[] endKeywords, out string? endKeyword)
    {
        Nest();
        try
        {
            return ParseNodes(endKeywords, out endKeyword);
        }
        finally
        {
            Unnest();
        }
    }

    private List<Node> ParseNodes(string[] endKeywords, out string? endKeyword)
    {
        var nodes = new List<Node>();
        while (_index < _pieces.Count)
        {
            var piece = _pieces[_index++];
            switch (piece.Kind)
            {
                case PieceKind.Text:
                    if (piece.Text.Length > 0) nodes.Add(new TextNode(piece.Text, piece.Line));
                    break;
                case PieceKind.Comment:
                    break;
                case PieceKind.Output:
                    Begin(piece);
                    nodes.Add(new OutputNode(ParseExpression(), piece.Line));
                    ExpectEnd();
                    break;
                case PieceKind.Statement:
                    Begin(piece);
                    var keyword = ExpectName();
                    if (endKeywords.Contains(keyword))
                    {
                        endKeyword = keyword;
                        return nodes;
                    }
                    var node = ParseStatement(keyword, piece.Line);
                    if (node != null) nodes.Add(node);
                    break;
            }
        }
        if (endKeywords.Length > 0)
            throw new ChatTemplateException("Missing {% " + endKeywords[endKeywords.Length - 1] + " %}.", CurrentLine);
        endKeyword = null;
        return nodes;
    }

    private Node? ParseStatement(string keyword, int line)
    {
        switch (keyword)
        {
            case "if": return ParseIf(line);
            case "for": return ParseFor(line);
            case "set": return ParseSet(line);
            case "macro": return ParseMacro(line);
            case "break":
                ExpectEnd();
                return new LoopControlNode(Flow.Break, line);
            case "continue":
                ExpectEnd();
                return new LoopControlNode(Flow.Continue, line);
            case "generation":
            {
                ExpectEnd();
                var body = ParseBody(new[] { "endgeneration" }, out _);
                ExpectEnd();
                return new BlockNode(body, line);
            }
            case "raw":
                ExpectEnd();
                return null;
            default:
                if (Unsupported.Contains(keyword))
                    throw new ChatTemplateException("The chat template uses {% " + keyword + " %}, which this renderer does not support.", line);
                throw new ChatTemplateException("Unknown tag {% " + keyword + " %}.", line);
        }
    }

    private Node ParseIf(int line)
    {
        var branches = new List<KeyValuePair<Expr, List<Node>>>();
        var condition = ParseExpression();
        ExpectEnd();
        while (true)
        {
            var body = ParseBody(new[] { "elif", "else", "endif" }, out var end);
            branches.Add(new KeyValuePair<Expr, List<Node>>(condition, body));
            if (end == "elif")
            {
                condition = ParseExpression();
                ExpectEnd();
                continue;
            }
            List<Node>? elseBody = null;
            if (end == "else")
            {
                ExpectEnd();
                elseBody = ParseBody(new[] { "endif" }, out _);
            }
            ExpectEnd();
            return new IfNode(branches, elseBody, line);
        }
    }

    private Node ParseFor(int line)
    {
        var targets = new List<string> { ExpectName() };
        while (SkipOperator(",")) targets.Add(ExpectName());
        if (!SkipName("in")) throw Error("Expected 'in' in a for loop");
        var iterable = ParseOr();
        Expr? filter = null;
        if (SkipName("if")) filter = ParseOr();
        SkipName("recursive");
        ExpectEnd();
        var body = ParseBody(new[] { "else", "endfor" }, out var end);
        List<Node>? elseBody = null;
        if (end == "else")
        {
            ExpectEnd();
            elseBody = ParseBody(new[] { "endfor" }, out _);
        }
        ExpectEnd();
        return new ForNode(targets, iterable, filter, body, elseBody, line);
    }

    private Node ParseSet(int line)
    {
        var name = ExpectName();
        string? attribute = null;
        if (SkipOperator(".")) attribute = ExpectName();
        if (SkipOperator("="))
        {
            var value = ParseExpression();
            ExpectEnd();
            return new SetNode(name, attribute, value, null, line);
        }
        ExpectEnd();
        var body = ParseBody(new[] { "endset" }, out _);
        ExpectEnd();
        return new SetNode(name, attribute, null, body, line);
    }

    private Node ParseMacro(int line)
    {
        var name = ExpectName();
        var parameters = new List<KeyValuePair<string, Expr?>>();
        ExpectOperator("(");
        while (!SkipOperator(")"))
        {
            if (parameters.Count > 0) ExpectOperator(",");
            if (SkipOperator(")")) break;
            var parameter = ExpectName();
            Expr? fallback = SkipOperator("=") ? ParseExpression() : null;
            parameters.Add(new KeyValuePair<string, Expr?>(parameter, fallback));
        }
        ExpectEnd();
        var body = ParseBody(new[] { "endmacro" }, out _);
        ExpectEnd();
        return new MacroNode(name, parameters, body, line);
    }

    // ---- token stream ----

    private void Begin(Piece piece)
    {
        _tokens = piece.Tokens;
        _position = 0;
    }

    private Token Current => Peek(0);

    private Token Peek(int offset) =>
        _position + offset < _tokens.Count ? _tokens[_position + offset] : new Token(TokenKind.End, "", CurrentLine);

    private Token Next()
    {
        var token = Current;
        if (token.Kind == TokenKind.End) throw new ChatTemplateException("Unexpected end of tag.", CurrentLine);
        _position++;
        return token;
    }

    private bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        _position++;
        return true;
    }

    private bool SkipOperator(string op)
    {
        if (!Current.IsOperator(op)) return false;
        _position++;
        return true;
    }

    private string ExpectName()
    {
        var token = Current;
        if (token.Kind != TokenKind.Name) throw Error("Expected a name");
        _position++;
        return token.Text;
    }

    private void ExpectOperator(string op)
    {
        if (!SkipOperator(op)) throw Error("Expected '" + op + "'");
    }

    private void ExpectEnd()
    {
        if (Current.Kind != TokenKind.End) throw Error("Expected the end of the tag");
    }

    private ChatTemplateException Error(string what) =>
        new ChatTemplateException(what + ", got " + Current + ".", Current.Kind == TokenKind.End ? CurrentLine : Current.Line);
}

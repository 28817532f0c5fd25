namespace BedrockImport.Engine.Invocation.Jinja;

/// <summary>The expression half of the parser (statements and the token stream are in JinjaParser.cs).</summary>
internal sealed partial class JinjaParser
{
    private Expr ParseExpression()
    {
        Nest();
        try
        {
            return ParseConditional();
        }
        finally
        {
            Unnest();
        }
    }

    private Expr ParseConditional()
    {
        var expression = ParseOr();
        while (SkipName("if"))
        {
            var condition = ParseOr();
            Expr? otherwise = SkipName("else") ? ParseExpression() : null;
            expression = new ConditionalExpr(expression, condition, otherwise, expression.Line);
        }
        return expression;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (SkipName("or")) left = new OrExpr(left, ParseAnd(), left.Line);
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (SkipName("and")) left = new AndExpr(left, ParseNot(), left.Line);
        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            var line = Next().Line;
            Nest();
            try
            {
                return new NotExpr(ParseNot(), line);
            }
            finally
            {
                Unnest();
            }
        }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var first = ParseMath1();
        var rest = new List<KeyValuePair<string, Expr>>();
        while (true)
        {
            var token = Current;
            string? op = null;
            if (token.Kind == TokenKind.Operator && (token.Text == "==" || token.Text == "!=" || token.Text == "<" || token.Text == ">" || token.Text == "<=" || token.Text == ">="))
            {
                op = token.Text;
                Next();
            }
            else if (token.IsName("in"))
            {
                op = "in";
                Next();
            }
            else if (token.IsName("not") && Peek(1).IsName("in"))
            {
                op = "not in";
                Next();
                Next();
            }
            if (op == null) break;
            rest.Add(new KeyValuePair<string, Expr>(op, ParseMath1()));
        }
        return rest.Count == 0 ? first : new CompareExpr(first, rest, first.Line);
    }

    private Expr ParseMath1() => ParseBinary(ParseConcat, "+", "-");
    private Expr ParseConcat() => ParseBinary(ParseMath2, "~");
    private Expr ParseMath2() => ParseBinary(ParsePow, "*", "/", "//", "%");
    private Expr ParsePow() => ParseBinary(() => ParseUnary(true), "**");

    private Expr ParseBinary(Func<Expr> operand, params string[] operators)
    {
        var left = operand();
        while (Current.Kind == TokenKind.Operator && operators.Contains(Current.Text))
        {
            var op = Next().Text;
            left = new BinaryExpr(op, left, operand(), left.Line);
        }
        return left;
    }

    private Expr ParseUnary(bool withFilters)
    {
        Expr node;
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var sign = Next();
            Nest();
            try
            {
                var operand = ParseUnary(false);
                node = sign.Text == "-" ? new NegateExpr(operand, sign.Line) : operand;
            }
            finally
            {
                Unnest();
            }
        }
        else
        {
            node = ParsePrimary();
        }
        node = ParsePostfix(node);
        return withFilters ? ParseFiltersAndTests(node) : node;
    }

    private Expr ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.Name:
                switch (token.Text)
                {
                    case "true":
                    case "True": return new LiteralExpr(true, token.Line);
                    case "false":
                    case "False": return new LiteralExpr(false, token.Line);
                    case "none":
                    case "None": return new LiteralExpr(null, token.Line);
                    default: return new NameExpr(token.Text, token.Line);
                }
            case TokenKind.String:
                var text = (string)token.Value!;
                while (Current.Kind == TokenKind.String) text += (string)Next().Value!;
                return new LiteralExpr(text, token.Line);
            case TokenKind.Integer:
            case TokenKind.Float:
                return new LiteralExpr(token.Value, token.Line);
            case TokenKind.Operator when token.Text == "(":
            {
                if (SkipOperator(")")) return new ListExpr(new List<Expr>(), token.Line);
                var first = ParseExpression();
                if (SkipOperator(")")) return first;
                var items = new List<Expr> { first };
                while (SkipOperator(","))
                {
                    if (Current.IsOperator(")")) break;
                    items.Add(ParseExpression());
                }
                ExpectOperator(")");
                return new ListExpr(items, token.Line);
            }
            case TokenKind.Operator when token.Text == "[":
            {
                var items = new List<Expr>();
                while (!SkipOperator("]"))
                {
                    if (items.Count > 0)
                    {
                        ExpectOperator(",");
                        if (SkipOperator("]")) break;
                    }
                    items.Add(ParseExpression());
                }
                return new ListExpr(items, token.Line);
            }
            case TokenKind.Operator when token.Text == "{":
            {
                var items = new List<KeyValuePair<Expr, Expr>>();
                while (!SkipOperator("}"))
                {
                    if (items.Count > 0)
                    {
                        ExpectOperator(",");
                        if (SkipOperator("}")) break;
                    }
                    var key = ParseExpression();
                    ExpectOperator(":");
                    items.Add(new KeyValuePair<Expr, Expr>(key, ParseExpression()));
                }
                return new DictExpr(items, token.Line);
            }
            default:
                throw new ChatTemplateException("Unexpected " + token + " in an expression.", token.Line);
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("."))
            {
                Next();
                var token = Next();
                if (token.Kind == TokenKind.Name) node = new AttributeExpr(node, token.Text, token.Line);
                else if (token.Kind == TokenKind.Integer) node = new ItemExpr(node, new LiteralExpr(token.Value, token.Line), token.Line);
                else throw new ChatTemplateException("Expected an attribute name after '.', got " + token + ".", token.Line);
            }
            else if (Current.IsOperator("["))
            {
                var line = Next().Line;
                node = ParseSubscript(node, line);
            }
            else if (Current.IsOperator("("))
            {
                var line = Next().Line;
                ParseArguments(out var args, out var kwargs);
                node = new CallExpr(node, args, kwargs, line);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(Expr target, int line)
    {
        Expr? start = null, stop = null, step = null;
        if (!Current.IsOperator(":")) start = ParseExpression();
        if (!SkipOperator(":"))
        {
            ExpectOperator("]");
            return new ItemExpr(target, start!, line);
        }
        if (!Current.IsOperator(":") && !Current.IsOperator("]")) stop = ParseExpression();
        if (SkipOperator(":") && !Current.IsOperator("]")) step = ParseExpression();
        ExpectOperator("]");
        return new SliceExpr(target, start, stop, step, line);
    }

    /// <summary>Arguments after an opening parenthesis, up to and including the closing one.</summary>
    private void ParseArguments(out List<Expr> args, out List<KeyValuePair<string, Expr>> kwargs)
    {
        args = new List<Expr>();
        kwargs = new List<KeyValuePair<string, Expr>>();
        var first = true;
        while (!SkipOperator(")"))
        {
            if (!first)
            {
                ExpectOperator(",");
                if (SkipOperator(")")) break;
            }
            first = false;
            if (Current.Kind == TokenKind.Name && Peek(1).IsOperator("="))
            {
                var name = Next().Text;
                Next();
                kwargs.Add(new KeyValuePair<string, Expr>(name, ParseExpression()));
            }
            else
            {
                args.Add(ParseExpression());
            }
        }
    }

    private Expr ParseFiltersAndTests(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                Next();
                var name = ExpectName();
                var args = new List<Expr>();
                var kwargs = new List<KeyValuePair<string, Expr>>();
                if (SkipOperator("(")) ParseArguments(out args, out kwargs);
                node = new FilterExpr(node, name, args, kwargs, node.Line);
            }
            else if (Current.IsName("is"))
            {
                Next();
                var negated = SkipName("not");
                var name = Current.Kind == TokenKind.Name ? Next().Text : ExpectTestOperator();
                var args = new List<Expr>();
                if (SkipOperator("("))
                {
                    ParseArguments(out args, out _);
                }
                else if (StartsTestArgument(Current))
                {
                    args.Add(ParsePostfix(ParsePrimary()));
                }
                node = new TestExpr(node, name, args, negated, node.Line);
            }
            else
            {
                return node;
            }
        }
    }

    private string ExpectTestOperator()
    {
        var token = Next();
        if (token.Kind == TokenKind.Operator && (token.Text == "==" || token.Text == "!=" || token.Text == "<" || token.Text == ">" || token.Text == "<=" || token.Text == ">="))
            return token.Text;
        throw new ChatTemplateException("Expected a test name after 'is', got " + token + ".", token.Line);
    }

    private static bool StartsTestArgument(Token token)
    {
        if (token.Kind == TokenKind.Name) return !(token.Text == "else" || token.Text == "or" || token.Text == "and" || token.Text == "if" || token.Text == "in" || token.Text == "not" || token.Text == "is");
        if (token.Kind == TokenKind.String || token.Kind == TokenKind.Integer || token.Kind == TokenKind.Float) return true;
        return token.IsOperator("[") || token.IsOperator("{");
    }
}

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// What follows a value in jinja2's grammar besides attributes and items: call arguments (positional, then
/// <c>name=value</c>, <c>*args</c>, <c>**kwargs</c>), filter chains and tests, whose argument may come without
/// parentheses (<c>x is divisibleby 3</c>). A filter or test unknown outside an if fails the parse, as in jinja2.
/// </summary>
internal sealed partial class Parser
{
    private CallArgs ParseCallArgs()
    {
        var open = ExpectOperator("(");
        var items = new List<(string?, Expr)>();
        Expr? star = null, doubleStar = null;
        while (!Current.IsOperator(")"))
        {
            if (items.Count > 0 || star is not null || doubleStar is not null)
            {
                ExpectOperator(",");
                if (Current.IsOperator(")")) break;
            }
            if (SkipOperator("*")) star = star is null && doubleStar is null ? ParseExpression() : throw BadCall(open);
            else if (SkipOperator("**")) doubleStar = doubleStar is null ? ParseExpression() : throw BadCall(open);
            else if (Current.Kind == TokenKind.Name && Peek.IsOperator("="))
            {
                if (doubleStar is not null) throw BadCall(open);
                var name = Next().Text;
                Next();
                items.Add((name, ParseExpression()));
            }
            else if (star is not null || doubleStar is not null || items.Any(i => i.Item1 is not null)) throw BadCall(open);
            else items.Add((null, ParseExpression()));
        }
        ExpectOperator(")");
        return new CallArgs([.. items], star, doubleStar);
    }

    private TemplateSyntaxError BadCall(Token at) => Fail("invalid syntax for function call expression", at);

    /// <summary><c>| name(args)</c> repeated; with a null node it starts a <c>{% filter %}</c> or <c>{% set x | f %}</c> chain.</summary>
    private Expr? ParseFilter(Expr? node, bool startInline = false)
    {
        while (Current.IsOperator("|") || startInline)
        {
            if (!startInline) Next();
            var token = Expect(TokenKind.Name);
            var name = DottedName(token);
            var args = Current.IsOperator("(") ? ParseCallArgs() : CallArgs.None;
            if (!_soft && !Filters.Exists(name)) throw Fail($"No filter named '{name}'.", token);
            node = new FilterExpr(node, name, args, token.Line);
            startInline = false;
        }
        return node;
    }

    private Expr ParseTest(Expr node)
    {
        var line = Next().Line;
        var negated = SkipName("not");
        var token = Expect(TokenKind.Name);
        var name = DottedName(token);
        var args = CallArgs.None;
        if (Current.IsOperator("(")) args = ParseCallArgs();
        else if ((Current.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                  || Current.IsOperator("[") || Current.IsOperator("{"))
                 && !Current.IsName("else") && !Current.IsName("or") && !Current.IsName("and"))
        {
            if (Current.IsName("is")) throw Fail("You cannot chain multiple tests with is");
            args = new CallArgs([(null, ParsePostfix(ParsePrimary()))], null, null);
        }
        if (!_soft && !TestFunctions.Exists(name)) throw Fail($"No test named '{name}'.", token);
        Expr test = new TestExpr(node, name, args, line);
        return negated ? new Unary(UnaryOp.Not, test, line) : test;
    }

    private string DottedName(Token first)
    {
        var name = first.Text;
        while (SkipOperator(".")) name += "." + Expect(TokenKind.Name).Text;
        return name;
    }
}

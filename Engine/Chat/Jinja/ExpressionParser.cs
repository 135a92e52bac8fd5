using System.Runtime.CompilerServices;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Expressions, with jinja2's precedence from loosest to tightest: <c>x if c else y</c>, <c>or</c>, <c>and</c>,
/// <c>not</c>, comparisons (<c>in</c>, <c>not in</c>, chained), <c>+ -</c>, <c>~</c>, <c>* / // %</c>, <c>**</c>
/// (left to right, as jinja2 has it), unary <c>- +</c>, then postfix <c>.attr [key] (call)</c>, <c>| filter</c>, <c>is test</c>.
/// </summary>
internal sealed partial class Parser
{
    private static readonly string[] CompareOperators = ["==", "!=", "<", "<=", ">", ">="];

    private Expr ParseExpression(bool withCondExpr = true) => withCondExpr ? ParseCondExpr() : ParseOr();

    /// <summary>Expressions separated by commas make a tuple (<c>{% set a, b = 1, 2 %}</c>, <c>{% for k, v in ... %}</c>).</summary>
    private Expr ParseTuple(bool simplified = false, bool withCondExpr = true, string[]? extraEnd = null,
        bool explicitParentheses = false, bool withNamespace = false)
    {
        var line = Current.Line;
        var items = new List<Expr>();
        var isTuple = false;
        while (true)
        {
            if (items.Count > 0) ExpectOperator(",");
            if (IsTupleEnd(extraEnd)) break;
            items.Add(simplified ? ParsePrimary(withNamespace) : ParseExpression(withCondExpr));
            if (!Current.IsOperator(",")) break;
            isTuple = true;
            line = Current.Line;
        }
        if (isTuple) return new TupleExpr([.. items], line);
        if (items.Count > 0) return items[0];
        if (!explicitParentheses) throw Fail($"Expected an expression, got '{Current.Describe()}'");
        return new TupleExpr([], line);
    }

    private bool IsTupleEnd(string[]? extraEnd) =>
        Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd || Current.IsOperator(")")
        || extraEnd is not null && extraEnd.Any(Current.IsName);

    private Expr ParseCondExpr()
    {
        var line = Current.Line;
        var expr = ParseOr();
        while (SkipName("if"))
        {
            var test = ParseOr();
            var otherwise = SkipName("else") ? ParseCondExpr() : null;
            expr = new CondExpr(test, expr, otherwise, line);
            line = Current.Line;
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or")) left = new Binary(BinaryOp.Or, left, Skip(ParseAnd), left.Line);
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and")) left = new Binary(BinaryOp.And, left, Skip(ParseNot), left.Line);
        return left;
    }

    private Expr Skip(Func<Expr> parse)
    {
        Next();
        return parse();
    }

    private Expr ParseNot()
    {
        var line = Current.Line;
        return Current.IsName("not") ? new Unary(UnaryOp.Not, Skip(ParseNot), line) : ParseCompare();
    }

    private Expr ParseCompare()
    {
        var line = Current.Line;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && CompareOperators.Contains(Current.Text)) rest.Add((Next().Text, ParseMath1()));
            else if (SkipName("in")) rest.Add(("in", ParseMath1()));
            else if (Current.IsName("not") && Peek.IsName("in"))
            {
                Next();
                Next();
                rest.Add(("notin", ParseMath1()));
            }
            else break;
        }
        return rest.Count == 0 ? first : new Compare(first, [.. rest], line);
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
            left = new Binary(Next().Text == "+" ? BinaryOp.Add : BinaryOp.Sub, left, ParseConcat(), left.Line);
        return left;
    }

    private Expr ParseConcat()
    {
        var first = ParseMath2();
        if (!Current.IsOperator("~")) return first;
        var parts = new List<Expr> { first };
        while (SkipOperator("~")) parts.Add(ParseMath2());
        return new Concat([.. parts], first.Line);
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Text is "*" or "/" or "//" or "%")
        {
            var op = Next().Text switch { "*" => BinaryOp.Mul, "/" => BinaryOp.Div, "//" => BinaryOp.FloorDiv, _ => BinaryOp.Mod };
            left = new Binary(op, left, ParsePow(), left.Line);
        }
        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary();
        while (SkipOperator("**")) left = new Binary(BinaryOp.Pow, left, ParseUnary(), left.Line);
        return left;
    }

    private Expr ParseUnary(bool withFilter = true)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        var line = Current.Line;
        var node = SkipOperator("-") ? new Unary(UnaryOp.Neg, ParseUnary(false), line)
            : SkipOperator("+") ? new Unary(UnaryOp.Pos, ParseUnary(false), line)
            : ParsePrimary();
        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpr(node) : node;
    }

    private Expr ParsePrimary(bool withNamespace = false)
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Name:
                Next();
                if (token.Text is "true" or "True" or "false" or "False") return new Const(Py.Bool(token.Text is "true" or "True"), token.Line);
                if (token.Text is "none" or "None") return new Const(null, token.Line);
                if (withNamespace && SkipOperator(".")) return new NamespaceRef(token.Text, Expect(TokenKind.Name).Text, token.Line);
                if (_macroReads.TryPeek(out var reads)) reads.Add(token.Text);
                return new Name(token.Text, token.Line);
            case TokenKind.String:
                var text = (string)Next().Value!;
                while (Current.Kind == TokenKind.String) text += (string)Next().Value!;
                return new Const(text, token.Line);
            case TokenKind.Integer or TokenKind.Float:
                return new Const(Next().Value, token.Line);
            case TokenKind.Operator when token.Text == "(":
                Next();
                var inner = ParseTuple(explicitParentheses: true);
                ExpectOperator(")");
                return inner;
            case TokenKind.Operator when token.Text == "[":
                return new ListExpr([.. ParseItems("[", "]", () => ParseExpression())], token.Line);
            case TokenKind.Operator when token.Text == "{":
                return new DictExpr([.. ParseItems("{", "}", ParsePair)], token.Line);
            default:
                throw Fail($"unexpected '{token.Describe()}'");
        }
    }

    private (Expr, Expr) ParsePair()
    {
        var key = ParseExpression();
        ExpectOperator(":");
        return (key, ParseExpression());
    }

    /// <summary>Comma-separated items between brackets; a trailing comma is allowed.</summary>
    private List<T> ParseItems<T>(string open, string close, Func<T> parse)
    {
        ExpectOperator(open);
        var items = new List<T>();
        while (!Current.IsOperator(close))
        {
            if (items.Count > 0) ExpectOperator(",");
            if (Current.IsOperator(close)) break;
            items.Add(parse());
        }
        ExpectOperator(close);
        return items;
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator(".") || Current.IsOperator("[")) node = ParseSubscript(node);
            else if (Current.IsOperator("(")) node = ParseCall(node);
            else return node;
        }
    }

    private Call ParseCall(Expr callee)
    {
        var line = Current.Line;
        return new Call(callee, ParseCallArgs(), line);
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|")) node = ParseFilter(node)!;
            else if (Current.IsName("is")) node = ParseTest(node);
            else if (Current.IsOperator("(")) node = ParseCall(node);
            else return node;
        }
    }

    private Expr ParseSubscript(Expr node)
    {
        var token = Next();
        if (token.IsOperator("."))
        {
            var attr = Next();
            if (attr.Kind == TokenKind.Name) return new GetAttr(node, attr.Text, token.Line);
            if (attr.Kind != TokenKind.Integer) throw Fail("expected name or number", attr);
            return new GetItem(node, new Const(attr.Value, attr.Line), token.Line);
        }
        var keys = new List<Expr>();
        while (!Current.IsOperator("]"))
        {
            if (keys.Count > 0) ExpectOperator(",");
            keys.Add(ParseSubscribed());
        }
        ExpectOperator("]");
        return new GetItem(node, keys.Count == 1 ? keys[0] : new TupleExpr([.. keys], token.Line), token.Line);
    }

    /// <summary>A key or a slice <c>start:stop:step</c>, any part left out.</summary>
    private Expr ParseSubscribed()
    {
        var line = Current.Line;
        Expr? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression();
            if (!Current.IsOperator(":")) return start;
        }
        Next();
        var stop = Current.IsOperator(":") || Current.IsOperator("]") || Current.IsOperator(",") ? null : ParseExpression();
        Expr? step = null;
        if (SkipOperator(":") && !Current.IsOperator("]") && !Current.IsOperator(",")) step = ParseExpression();
        return new SliceExpr(start, stop, step, line);
    }
}

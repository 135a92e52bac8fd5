using System.Runtime.CompilerServices;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Builds the tree of a template from its tokens, statement by statement as jinja2's parser does. This half reads
/// the tags (<c>for</c>, <c>if</c>, <c>set</c>, <c>macro</c>, ...); ExpressionParser.cs reads what is inside them.
/// </summary>
internal sealed partial class Parser
{
    private readonly List<Token> _tokens;
    private int _index;

    /// <summary>Inside an if, jinja2 looks a filter or test up only when it runs; elsewhere a missing one fails the parse.</summary>
    private bool _soft;

    private int _loops;
    private readonly Stack<string[]> _endTags = new();
    private readonly Stack<string> _openTags = new();
    private readonly Stack<HashSet<string>> _macroReads = new();

    private Parser(List<Token> tokens) => _tokens = tokens;

    public static Stmt[] Parse(string source)
    {
        var parser = new Parser(Lexer.Tokenize(source));
        try
        {
            return parser.Subparse(null);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new TemplateSyntaxError("the template nests too deeply", parser.Current.Line);
        }
    }

    private Token Current => _tokens[_index];

    private Token Peek => _tokens[Math.Min(_index + 1, _tokens.Count - 1)];

    private Token Next() => _tokens[_index < _tokens.Count - 1 ? _index++ : _index];

    private TemplateSyntaxError Fail(string message, Token? at = null) => new(message, (at ?? Current).Line);

    private Token Expect(TokenKind kind)
    {
        if (Current.Kind != kind)
            throw Fail($"expected token '{Token.Describe(kind)}', got '{Current.Describe()}'");
        return Next();
    }

    private Token ExpectOperator(string op) =>
        Current.IsOperator(op) ? Next() : throw Fail($"expected token '{op}', got '{Current.Describe()}'");

    private Token ExpectName(string name) =>
        Current.IsName(name) ? Next() : throw Fail($"expected token '{name}', got '{Current.Describe()}'");

    private bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        Next();
        return true;
    }

    private bool SkipOperator(string op)
    {
        if (!Current.IsOperator(op)) return false;
        Next();
        return true;
    }

    private Stmt[] Subparse(string[]? endTags)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        var body = new List<Stmt>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.Data:
                    body.Add(new TextStmt(token.Text, token.Line));
                    Next();
                    break;
                case TokenKind.VariableBegin:
                    Next();
                    body.Add(new PrintStmt(ParseTuple(), token.Line));
                    Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin:
                    Next();
                    if (endTags is not null && Current.Kind == TokenKind.Name && endTags.Contains(Current.Text)) return [.. body];
                    body.AddRange(ParseStatement());
                    Expect(TokenKind.BlockEnd);
                    break;
                case TokenKind.Eof when endTags is not null:
                    throw Fail("Unexpected end of template. Jinja was looking for the following tags: " +
                               string.Join(" or ", endTags.Select(t => $"'{t}'")) + ". The innermost block that needs to be closed is " +
                               $"'{_openTags.Peek()}'.");
                case TokenKind.Eof:
                    return [.. body];
                default:
                    throw Fail($"unexpected '{token.Describe()}'");
            }
        }
    }

    /// <summary>A body up to one of its end tags (left as the current token unless dropped).</summary>
    private Stmt[] ParseStatements(string[] endTags, bool dropEnd = false)
    {
        SkipOperator(":");
        Expect(TokenKind.BlockEnd);
        _endTags.Push(endTags);
        var body = Subparse(endTags);
        _endTags.Pop();
        if (dropEnd) Next();
        return body;
    }

    /// <summary>A body jinja2 compiles in a frame of its own (loops, macros, blocks): filters there are checked at parse.</summary>
    private Stmt[] ParseInner(string[] endTags, bool dropEnd = true)
    {
        var soft = _soft;
        _soft = false;
        var body = ParseStatements(endTags, dropEnd);
        _soft = soft;
        return body;
    }

    private IEnumerable<Stmt> ParseStatement()
    {
        var token = Current;
        if (token.Kind != TokenKind.Name) throw Fail("tag name expected");
        _openTags.Push(token.Text);
        var statements = ParseTag(token);
        _openTags.Pop();
        return statements;
    }

    private IEnumerable<Stmt> ParseTag(Token token)
    {
        switch (token.Text)
        {
            case "for": return [ParseFor()];
            case "if": return [ParseIf()];
            case "set": return [ParseSet()];
            case "macro": return [ParseMacro()];
            case "call": return [ParseCallBlock()];
            case "filter": return [ParseFilterBlock()];
            case "with": return [ParseWith()];
            case "print": return ParsePrint();
            case "generation":
                Next();
                var loops = _loops;
                _loops = 0;
                var generation = new ScopeStmt(ParseInner(["endgeneration"]), token.Line);
                _loops = loops;
                return [generation];
            case "break" or "continue":
                Next();
                if (_loops == 0) throw Fail($"'{token.Text}' outside loop", token);
                return [token.Text == "break" ? new BreakStmt(token.Line) : new ContinueStmt(token.Line)];
            case "block" or "extends" or "include" or "import" or "from" or "autoescape" or "do":
                throw Fail($"the '{token.Text}' tag is not supported in chat templates", token);
            default:
                var looking = _endTags.Count == 0 ? "" : " Jinja was looking for the following tags: " +
                    string.Join(" or ", _endTags.Peek().Select(t => $"'{t}'")) + ".";
                throw Fail($"Encountered unknown tag '{token.Text}'.{looking}", token);
        }
    }

    private ForStmt ParseFor()
    {
        var line = Next().Line;
        var target = ParseAssignTarget(extraEnd: ["in"]);
        ExpectName("in");
        var iter = ParseTuple(withCondExpr: false, extraEnd: ["recursive"]);
        var soft = _soft;
        _soft = false;
        var filter = SkipName("if") ? ParseExpression() : null;
        if (Current.IsName("recursive")) throw Fail("recursive loops are not supported in chat templates");
        _loops++;
        var body = ParseStatements(["endfor", "else"]);
        _loops--;
        var otherwise = Next().IsName("else") ? ParseStatements(["endfor"], dropEnd: true) : [];
        _soft = soft;
        return new ForStmt(target, iter, filter, body, otherwise, line);
    }

    private IfStmt ParseIf()
    {
        var line = Next().Line;
        var soft = _soft;
        _soft = true;
        var branches = new List<(Expr, Stmt[])>();
        Stmt[] otherwise = [];
        while (true)
        {
            var test = ParseTuple(withCondExpr: false);
            branches.Add((test, ParseStatements(["elif", "else", "endif"])));
            var token = Next();
            if (token.IsName("elif")) continue;
            if (token.IsName("else")) otherwise = ParseStatements(["endif"], dropEnd: true);
            break;
        }
        _soft = soft;
        return new IfStmt([.. branches], otherwise, line);
    }

    private Stmt ParseSet()
    {
        var line = Next().Line;
        var target = ParseAssignTarget(withNamespace: true);
        if (SkipOperator("=")) return new SetStmt(target, ParseTuple(), line);
        var filter = (FilterExpr?)ParseFilter(null);
        return new SetBlockStmt(target, filter, ParseInner(["endset"]), line);
    }

    private MacroDef ParseMacro()
    {
        var line = Next().Line;
        var name = Expect(TokenKind.Name).Text;
        return ParseMacroBody(name, ParseSignature(), "endmacro", line);
    }

    /// <summary>A macro's (or a call block's caller's) body, noting which of caller, varargs and kwargs it reads.</summary>
    private MacroDef ParseMacroBody(string name, Parameter[] parameters, string endTag, int line)
    {
        var loops = _loops;
        _loops = 0;
        _macroReads.Push([]);
        var body = ParseInner([endTag]);
        var reads = _macroReads.Pop();
        if (_macroReads.TryPeek(out var outer)) outer.UnionWith(reads);
        _loops = loops;
        return new MacroDef(name, parameters, body, reads.Contains("caller"), reads.Contains("varargs"), reads.Contains("kwargs"), line);
    }

    private Parameter[] ParseSignature()
    {
        var parameters = new List<Parameter>();
        ExpectOperator("(");
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0) ExpectOperator(",");
            var name = Expect(TokenKind.Name).Text;
            if (SkipOperator("=")) parameters.Add(new Parameter(name, ParseExpression()));
            else if (parameters.Any(p => p.Default is not null)) throw Fail("non-default argument follows default argument");
            else parameters.Add(new Parameter(name, null));
        }
        ExpectOperator(")");
        return [.. parameters];
    }

    private CallBlockStmt ParseCallBlock()
    {
        var line = Next().Line;
        var parameters = Current.IsOperator("(") ? ParseSignature() : [];
        if (ParseExpression() is not Call call) throw Fail("expected call");
        return new CallBlockStmt(call, ParseMacroBody("caller", parameters, "endcall", line), line);
    }

    private FilterBlockStmt ParseFilterBlock()
    {
        var line = Next().Line;
        var filter = (FilterExpr)ParseFilter(null, startInline: true)!;
        return new FilterBlockStmt(filter, ParseInner(["endfilter"]), line);
    }

    private WithStmt ParseWith()
    {
        var line = Next().Line;
        var assignments = new List<(Expr, Expr)>();
        while (Current.Kind != TokenKind.BlockEnd)
        {
            if (assignments.Count > 0) ExpectOperator(",");
            var target = ParseAssignTarget();
            ExpectOperator("=");
            assignments.Add((target, ParseExpression()));
        }
        return new WithStmt([.. assignments], ParseInner(["endwith"]), line);
    }

    private List<Stmt> ParsePrint()
    {
        var line = Next().Line;
        var prints = new List<Stmt>();
        while (Current.Kind != TokenKind.BlockEnd)
        {
            if (prints.Count > 0) ExpectOperator(",");
            prints.Add(new PrintStmt(ParseExpression(), line));
        }
        return prints;
    }

    private Expr ParseAssignTarget(string[]? extraEnd = null, bool withNamespace = false)
    {
        var target = ParseTuple(simplified: true, extraEnd: extraEnd, withNamespace: withNamespace);
        return CanAssign(target) ? target : throw Fail($"can't assign to '{NodeName(target)}'");
    }

    private static bool CanAssign(Expr target) => target switch
    {
        Name or NamespaceRef => true,
        TupleExpr t => t.Items.All(CanAssign),
        _ => false,
    };

    private static string NodeName(Expr e) => e switch
    {
        Const => "const",
        TupleExpr => "tuple",
        ListExpr => "list",
        DictExpr => "dict",
        _ => e.GetType().Name.ToLowerInvariant(),
    };
}

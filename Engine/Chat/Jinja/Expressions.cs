namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>An expression of the parsed tree; immutable, so one parsed template serves renders on many threads.</summary>
internal abstract record Expr(int Line);

internal sealed record Const(object? Value, int Line) : Expr(Line);

internal sealed record Name(string Id, int Line) : Expr(Line);

/// <summary><c>ns.attr</c> as the target of <c>{% set %}</c>: the only attribute a template may assign.</summary>
internal sealed record NamespaceRef(string Id, string Attr, int Line) : Expr(Line);

internal sealed record TupleExpr(Expr[] Items, int Line) : Expr(Line);

internal sealed record ListExpr(Expr[] Items, int Line) : Expr(Line);

internal sealed record DictExpr((Expr Key, Expr Value)[] Pairs, int Line) : Expr(Line);

internal sealed record GetAttr(Expr Target, string Attr, int Line) : Expr(Line);

internal sealed record GetItem(Expr Target, Expr Key, int Line) : Expr(Line);

internal sealed record SliceExpr(Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line);

/// <summary>Arguments as written at a call, a filter or a test: positional, then <c>name=value</c>, then <c>*a</c>/<c>**kw</c>.</summary>
internal sealed record CallArgs((string? Name, Expr Value)[] Items, Expr? Star, Expr? DoubleStar)
{
    public static readonly CallArgs None = new([], null, null);
}

internal sealed record Call(Expr Callee, CallArgs Args, int Line) : Expr(Line);

/// <summary><c>value | name(args)</c>; Value is null in <c>{% filter %}</c> and <c>{% set x | f %}</c> blocks.</summary>
internal sealed record FilterExpr(Expr? Value, string Filter, CallArgs Args, int Line) : Expr(Line);

internal sealed record TestExpr(Expr Value, string Test, CallArgs Args, int Line) : Expr(Line);

internal enum UnaryOp { Not, Neg, Pos }

internal sealed record Unary(UnaryOp Op, Expr Operand, int Line) : Expr(Line);

internal enum BinaryOp { Add, Sub, Mul, Div, FloorDiv, Mod, Pow, And, Or }

internal sealed record Binary(BinaryOp Op, Expr Left, Expr Right, int Line) : Expr(Line);

/// <summary><c>a ~ b ~ c</c>: the strings of all parts joined.</summary>
internal sealed record Concat(Expr[] Parts, int Line) : Expr(Line);

/// <summary><c>a &lt; b &lt;= c</c>, chained as Python chains comparisons; operators are "==", "in", "notin", ...</summary>
internal sealed record Compare(Expr First, (string Op, Expr Operand)[] Rest, int Line) : Expr(Line);

/// <summary><c>then if test else otherwise</c>; without else the value is undefined when the test fails.</summary>
internal sealed record CondExpr(Expr Test, Expr Then, Expr? Otherwise, int Line) : Expr(Line);

/// <summary>A filter or test whose name jinja2 only looks up when it runs (inside an if), so a missing one fails then.</summary>
internal sealed record UnknownFunction(string Kind, string Name, int Line) : Expr(Line);

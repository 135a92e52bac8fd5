namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>A statement of the parsed tree; immutable like the expressions.</summary>
internal abstract record Stmt(int Line);

internal sealed record TextStmt(string Text, int Line) : Stmt(Line);

internal sealed record PrintStmt(Expr Value, int Line) : Stmt(Line);

internal sealed record IfStmt((Expr Test, Stmt[] Body)[] Branches, Stmt[] Else, int Line) : Stmt(Line);

/// <summary><c>{% for target in iter if filter %}body{% else %}otherwise{% endfor %}</c>.</summary>
internal sealed record ForStmt(Expr Target, Expr Iter, Expr? Filter, Stmt[] Body, Stmt[] Else, int Line) : Stmt(Line);

internal sealed record SetStmt(Expr Target, Expr Value, int Line) : Stmt(Line);

/// <summary><c>{% set x | filters %}body{% endset %}</c>: the rendered body, filtered, is the value.</summary>
internal sealed record SetBlockStmt(Expr Target, FilterExpr? Filter, Stmt[] Body, int Line) : Stmt(Line);

internal sealed record Parameter(string Name, Expr? Default);

/// <summary>What a macro's body reads of the names jinja2 gives macros, so calls that pass more are refused as there.</summary>
internal sealed record MacroDef(string Name, Parameter[] Parameters, Stmt[] Body, bool UsesCaller, bool UsesVarargs, bool UsesKwargs,
    int Line) : Stmt(Line);

/// <summary><c>{% call(params) macro(args) %}body{% endcall %}</c>: the body is the macro's <c>caller</c>.</summary>
internal sealed record CallBlockStmt(Call Call, MacroDef Caller, int Line) : Stmt(Line);

internal sealed record FilterBlockStmt(FilterExpr Filter, Stmt[] Body, int Line) : Stmt(Line);

internal sealed record WithStmt((Expr Target, Expr Value)[] Assignments, Stmt[] Body, int Line) : Stmt(Line);

/// <summary>transformers' <c>{% generation %}</c>: marks the assistant's text for masks; a render just writes the body.</summary>
internal sealed record ScopeStmt(Stmt[] Body, int Line) : Stmt(Line);

internal sealed record BreakStmt(int Line) : Stmt(Line);

internal sealed record ContinueStmt(int Line) : Stmt(Line);

using System.Runtime.CompilerServices;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Expressions and calls: <c>and</c>/<c>or</c> give one of their operands as Python's do, comparisons chain, a
/// missing name is undefined (then a template variable, then a global), and values the render builds are counted
/// against its memory budget.
/// </summary>
internal sealed partial class Renderer
{
    private object? Eval(Expr expr, Scope scope)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (expr)
        {
            case Const c:
                return c.Value;
            case Name n:
                return Lookup(n.Id, scope);
            case GetAttr g:
                return Access.GetAttr(Eval(g.Target, scope), g.Attr);
            case GetItem { Key: SliceExpr s } g:
                return Charge(Access.Slice(Eval(g.Target, scope), Optional(s.Start, scope), Optional(s.Stop, scope), Optional(s.Step, scope)));
            case GetItem g:
                return Access.GetItem(Eval(g.Target, scope), Eval(g.Key, scope));
            case Binary { Op: BinaryOp.And } b:
                var left = Eval(b.Left, scope);
                return Py.Truthy(left) ? Eval(b.Right, scope) : left;
            case Binary { Op: BinaryOp.Or } b:
                var first = Eval(b.Left, scope);
                return Py.Truthy(first) ? first : Eval(b.Right, scope);
            case Binary b:
                return Charge(Operators.Binary(this, b.Op, Eval(b.Left, scope), Eval(b.Right, scope)));
            case Unary { Op: UnaryOp.Not } u:
                return Py.Bool(!Py.Truthy(Eval(u.Operand, scope)));
            case Unary u:
                return Operators.Negate(Eval(u.Operand, scope), u.Op == UnaryOp.Neg);
            case Concat c:
                return Charge(string.Concat(c.Parts.Select(p => PyText.Str(Eval(p, scope)))));
            case Compare c:
                return Py.Bool(Chain(c, scope));
            case CondExpr c:
                return Py.Truthy(Eval(c.Test, scope)) ? Eval(c.Then, scope)
                    : c.Otherwise is null ? Undefined.Hint("the inline if-expression evaluated to false and no else section was defined.")
                    : Eval(c.Otherwise, scope);
            case ListExpr l:
                return Charge(new PyList(l.Items.Select(i => Eval(i, scope)).ToArray()));
            case TupleExpr t:
                return Charge(new PyList(t.Items.Select(i => Eval(i, scope)).ToArray(), isTuple: true));
            case DictExpr d:
                var dict = new PyDict(d.Pairs.Length);
                foreach (var (key, value) in d.Pairs) dict.Set(Eval(key, scope), Eval(value, scope));
                return Charge(dict);
            case Call c:
                return Charge(CallExpr(c, scope, caller: null));
            case FilterExpr f:
                return Charge(ApplyFilters(f, null, scope));
            case TestExpr t:
                return Py.Bool(TestFunctions.Apply(this, t.Test, Eval(t.Value, scope), EvalArgs(t.Args, scope)));
            case NamespaceRef r:
                return Access.GetAttr(Lookup(r.Id, scope), r.Attr);
            default:
                throw new InvalidOperationException($"unknown expression {expr.GetType().Name}");
        }
    }

    private object? Optional(Expr? expr, Scope scope) => expr is null ? null : Eval(expr, scope);

    private static object? Lookup(string name, Scope scope) =>
        scope.TryGet(name, out var value) ? value : Globals.All.TryGetValue(name, out var global) ? global : Undefined.Named(name);

    private bool Chain(Compare c, Scope scope)
    {
        var left = Eval(c.First, scope);
        foreach (var (op, operand) in c.Rest)
        {
            var right = Eval(operand, scope);
            if (!Operators.Compare(op, left, right)) return false;
            left = right;
        }
        return true;
    }

    private Arguments EvalArgs(CallArgs args, Scope scope)
    {
        if (args.Items.Length == 0 && args.Star is null && args.DoubleStar is null) return Arguments.None;
        var positional = new List<object?>();
        var named = new List<KeyValuePair<string, object?>>();
        foreach (var (name, value) in args.Items)
        {
            if (name is null) positional.Add(Eval(value, scope));
            else named.Add(new(name, Eval(value, scope)));
        }
        if (args.Star is not null) positional.AddRange(Py.Iterate(Eval(args.Star, scope)));
        if (args.DoubleStar is not null)
        {
            if (Eval(args.DoubleStar, scope) is not PyDict kwargs) throw new TemplateRuntimeError("argument after ** must be a mapping");
            foreach (var (key, value) in kwargs) named.Add(new(key as string ?? throw new TemplateRuntimeError("keywords must be strings"), value));
        }
        return new Arguments(positional, named);
    }

    /// <summary>A call; from a call block it passes the block as the macro's <c>caller</c>.</summary>
    private object? CallExpr(Call call, Scope scope, Macro? caller)
    {
        var callee = Eval(call.Callee, scope);
        var args = EvalArgs(call.Args, scope);
        CheckTime();
        switch (callee)
        {
            case Undefined u:
                throw u.Error();
            case Macro m:
                return CallMacro(m, args, caller);
            case Callable f:
                if (caller is not null) args = new Arguments(args.Positional, [.. args.Named, new("caller", caller)]);
                return f.Invoke(this, args);
            default:
                throw new TemplateRuntimeError($"'{Py.TypeName(callee)}' object is not callable");
        }
    }

    /// <summary>A filter chain; in a filter block or <c>{% set x | f %}</c> its innermost value is the block's text.</summary>
    private object? ApplyFilters(FilterExpr filter, object? blockValue, Scope scope)
    {
        var input = filter.Value switch
        {
            null => blockValue,
            FilterExpr inner => ApplyFilters(inner, blockValue, scope),
            var value => Eval(value, scope),
        };
        return Filters.Apply(this, filter.Filter, input, EvalArgs(filter.Args, scope));
    }

    /// <summary>
    /// A macro call in a frame over the macro's defining scope. Arguments bind as jinja2 binds them: missing ones are
    /// undefined, extra ones go to varargs/kwargs only if the body reads those, defaults are evaluated per call.
    /// </summary>
    public object? CallMacro(Macro macro, Arguments args, Macro? caller)
    {
        var def = macro.Definition;
        if (++_macroDepth > _limits.MacroDepth)
            throw new TemplateLimitError($"macro calls nest deeper than {_limits.MacroDepth}");
        try
        {
            var frame = new Scope(macro.Closure);
            var bound = new bool[def.Parameters.Length];
            for (var i = 0; i < Math.Min(bound.Length, args.Positional.Count); i++)
            {
                frame.Set(def.Parameters[i].Name, args.Positional[i]);
                bound[i] = true;
            }
            if (args.Positional.Count > bound.Length && !def.UsesVarargs)
                throw new TemplateRuntimeError($"macro '{def.Name}' takes not more than {bound.Length} argument(s)");
            var kwargs = new PyDict();
            foreach (var (name, value) in args.Named)
            {
                var index = Array.FindIndex(def.Parameters, p => p.Name == name);
                if (index >= 0 && bound[index]) throw new TemplateRuntimeError($"macro '{def.Name}' got multiple values for argument '{name}'");
                if (index >= 0)
                {
                    frame.Set(name, value);
                    bound[index] = true;
                }
                else if (def.UsesKwargs) kwargs.Set(name, value);
                else throw new TemplateRuntimeError($"macro '{def.Name}' takes no keyword argument '{name}'");
            }
            for (var i = 0; i < bound.Length; i++)
            {
                if (bound[i]) continue;
                var p = def.Parameters[i];
                frame.Set(p.Name, p.Default is null ? Undefined.Hint($"parameter '{p.Name}' was not provided") : Eval(p.Default, frame));
            }
            if (def.UsesVarargs) frame.Set("varargs", new PyList(args.Positional.Skip(bound.Length).ToArray(), isTuple: true));
            if (def.UsesKwargs) frame.Set("kwargs", kwargs);
            if (caller is not null && !def.UsesCaller)
                throw new TemplateRuntimeError($"macro '{def.Name}' was invoked with two values for the special caller argument. This is most likely a bug.");
            if (def.UsesCaller) frame.Set("caller", (object?)caller ?? Undefined.Hint("No caller defined"));
            CheckTime();
            return Capture(def.Body, frame);
        }
        finally
        {
            _macroDepth--;
        }
    }
}

using System.Runtime.CompilerServices;
using System.Text;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>What one render may take: a template can come with a request, so it must not hold a silo.</summary>
internal sealed record RenderLimits(TimeSpan Time, long MemoryBytes, int MacroDepth)
{
    public static readonly RenderLimits Default = new(TimeSpan.FromSeconds(5), 256L << 20, 200);
}

/// <summary>
/// The state of one render: its output, its budget of time and memory, how deep its macro calls are. Made per render,
/// so renders of one parsed template run on many threads at once. This half runs statements; Evaluator.cs
/// evaluates expressions.
/// </summary>
internal sealed partial class Renderer
{
    private enum Flow { Normal, Break, Continue }

    private readonly RenderLimits _limits;
    private readonly long _deadline;
    private long _budget;
    private int _macroDepth;
    private StringBuilder _out = new();

    public Renderer(RenderLimits limits)
    {
        _limits = limits;
        _deadline = Environment.TickCount64 + (long)limits.Time.TotalMilliseconds;
        _budget = limits.MemoryBytes;
    }

    public string Render(Stmt[] body, Scope root)
    {
        try
        {
            Execute(body, root);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new TemplateLimitError("the template nests too deeply");
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException or FormatException or ArgumentException
                                      or IndexOutOfRangeException)
        {
            // A value of a type the operation does not take (Python's TypeError), e.g. truncate(length='x').
            throw new TemplateRuntimeError($"a value has the wrong type: {e.Message}");
        }
        return _out.ToString();
    }

    /// <summary>Refuses a value of this many bytes (2 a character, 8 a list item) before it is built, if it would not fit.</summary>
    public void Reserve(long bytes)
    {
        if (bytes > _budget) throw MemoryLimit();
    }

    private TemplateLimitError MemoryLimit() =>
        new($"the render went past its memory limit of {_limits.MemoryBytes >> 20} MB of output and values");

    /// <summary>Counts a value the render built against its memory budget.</summary>
    private object? Charge(object? value)
    {
        var bytes = value switch
        {
            string s => s.Length * 2L,
            PyList l => l.Count * 8L,
            PyDict d => d.Count * 16L,
            PyIterator it => it.Remaining * 8L,
            _ => 0,
        };
        if ((_budget -= bytes) < 0) throw MemoryLimit();
        return value;
    }

    private void CheckTime()
    {
        if (Environment.TickCount64 > _deadline)
            throw new TemplateLimitError($"the render took longer than {_limits.Time.TotalSeconds:0.#} s");
    }

    private void Write(string text)
    {
        CheckTime();
        Charge(text);
        _out.Append(text);
    }

    private string Capture(Stmt[] body, Scope scope)
    {
        var outer = _out;
        _out = new StringBuilder();
        try
        {
            Execute(body, scope);
            return _out.ToString();
        }
        finally
        {
            _out = outer;
        }
    }

    private Flow Execute(Stmt[] body, Scope scope)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        foreach (var statement in body)
        {
            var flow = Execute(statement, scope);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow Execute(Stmt statement, Scope scope)
    {
        try
        {
            switch (statement)
            {
                case TextStmt text:
                    Write(text.Text);
                    return Flow.Normal;
                case PrintStmt print:
                    Write(PyText.Str(Eval(print.Value, scope)));
                    return Flow.Normal;
                case IfStmt s:
                    foreach (var (test, body) in s.Branches)
                        if (Py.Truthy(Eval(test, scope))) return Execute(body, scope);
                    return Execute(s.Else, scope);
                case ForStmt s:
                    return For(s, scope);
                case SetStmt s:
                    Assign(s.Target, Eval(s.Value, scope), scope);
                    return Flow.Normal;
                case SetBlockStmt s:
                    var captured = Capture(s.Body, new Scope(scope));
                    Assign(s.Target, s.Filter is null ? captured : ApplyFilters(s.Filter, captured, scope), scope);
                    return Flow.Normal;
                case MacroDef m:
                    scope.Set(m.Name, new Macro(m, scope));
                    return Flow.Normal;
                case CallBlockStmt c:
                    Write(PyText.Str(CallExpr(c.Call, scope, new Macro(c.Caller, scope))));
                    return Flow.Normal;
                case FilterBlockStmt f:
                    Write(PyText.Str(ApplyFilters(f.Filter, Capture(f.Body, new Scope(scope)), scope)));
                    return Flow.Normal;
                case WithStmt w:
                    var values = w.Assignments.Select(a => Eval(a.Value, scope)).ToArray();
                    var inner = new Scope(scope);
                    for (var i = 0; i < values.Length; i++) Assign(w.Assignments[i].Target, values[i], inner);
                    return Execute(w.Body, inner);
                case ScopeStmt s:
                    return Execute(s.Body, new Scope(scope));
                case BreakStmt:
                    return Flow.Break;
                case ContinueStmt:
                    return Flow.Continue;
                default:
                    throw new InvalidOperationException($"unknown statement {statement.GetType().Name}");
            }
        }
        catch (TemplateRuntimeError e) when (e.Line == 0)
        {
            e.Line = statement.Line;
            throw;
        }
    }

    /// <summary>
    /// A for loop: each iteration in a frame of its own, with <c>loop</c>; items an <c>if</c> rejects are left out
    /// before the loop counts them; <c>else</c> runs when nothing is left.
    /// </summary>
    private Flow For(ForStmt s, Scope scope)
    {
        var items = Py.Iterate(Eval(s.Iter, scope));
        if (s.Filter is not null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                CheckTime();
                var test = new Scope(scope);
                Assign(s.Target, item, test);
                if (Py.Truthy(Eval(s.Filter, test))) kept.Add(item);
            }
            items = kept;
        }
        if (items.Count == 0) return Execute(s.Else, new Scope(scope));
        var loop = new LoopContext(items);
        for (var i = 0; i < items.Count; i++)
        {
            CheckTime();
            loop.Index0 = i;
            var iteration = new Scope(scope);
            iteration.Set("loop", loop);
            Assign(s.Target, items[i], iteration);
            if (Execute(s.Body, iteration) == Flow.Break) break;
        }
        return Flow.Normal;
    }

    private static void Assign(Expr target, object? value, Scope scope)
    {
        switch (target)
        {
            case Name name:
                scope.Set(name.Id, value);
                break;
            case NamespaceRef r:
                if (!scope.TryGet(r.Id, out var ns) || ns is not Namespace target1)
                    throw new TemplateRuntimeError("cannot assign attribute on non-namespace object");
                target1.Attributes[r.Attr] = value;
                break;
            case TupleExpr tuple:
                if (value is not (string or PyList or PyDict or PyRange or Undefined))
                    throw new TemplateRuntimeError($"cannot unpack non-iterable {Py.TypeName(value)} object");
                var items = Py.Iterate(value);
                if (items.Count < tuple.Items.Length)
                    throw new TemplateRuntimeError($"not enough values to unpack (expected {tuple.Items.Length}, got {items.Count})");
                if (items.Count > tuple.Items.Length)
                    throw new TemplateRuntimeError($"too many values to unpack (expected {tuple.Items.Length})");
                for (var i = 0; i < items.Count; i++) Assign(tuple.Items[i], items[i], scope);
                break;
            default:
                throw new TemplateRuntimeError($"can't assign to {target.GetType().Name}");
        }
    }
}

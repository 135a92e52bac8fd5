using System.Collections;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// What Python says about values, which jinja2 leaves to Python: truth, equality, ordering, types, iteration, length
/// and <c>in</c>. The value model is small: null (None), <see cref="Undefined"/>, bool, long (int), double (float),
/// string, <see cref="PyList"/> (list and tuple), <see cref="PyDict"/>, <see cref="PyRange"/>, <see cref="Namespace"/>,
/// <see cref="LoopContext"/>, <see cref="Callable"/>s, and <see cref="Markup"/> and <see cref="PyIterator"/> where jinja2's
/// filters give those.
/// </summary>
internal static class Py
{
    public static readonly object True = true;
    public static readonly object False = false;

    public static object Bool(bool value) => value ? True : False;

    /// <summary>bool is an int in Python: True + 1 is 2.</summary>
    public static bool IsInt(object? v) => v is long or bool;

    public static bool IsNumber(object? v) => v is long or bool or double;

    public static long ToLong(object? v) => v is bool b ? (b ? 1 : 0) : (long)v!;

    public static double ToDouble(object? v) => v switch
    {
        double d => d,
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new InvalidCastException(),
    };

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        Markup m => m.Text.Length > 0,
        PyList l => l.Count > 0,
        PyDict d => d.Count > 0,
        PyRange r => r.Count > 0,
        _ => true,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        PyList { View: { } view } => view,
        PyList { IsTuple: true } => "tuple",
        PyList => "list",
        Markup => "Markup",
        PyIterator it => it.TypeName,
        PyDict => "dict",
        PyRange => "range",
        Undefined => "Undefined",
        Namespace => "Namespace",
        LoopContext => "LoopContext",
        Macro => "Macro",
        BoundMethod => "builtin_function_or_method",
        Callable => "function",
        _ => v.GetType().Name,
    };

    /// <summary>jinja2's object_type_repr, which its messages about undefined values use.</summary>
    public static string TypeDescription(object? v) => v is null ? "None" : $"{TypeName(v)} object";

    public static bool Equal(object? a, object? b)
    {
        if (ReferenceEquals(a, b)) return true;
        RuntimeHelpers.EnsureSufficientExecutionStack();
        if (a is Markup ma) a = ma.Text;
        if (b is Markup mb) b = mb.Text;
        switch (a, b)
        {
            case (null, _) or (_, null):
                return false;
            case (string x, string y):
                return x == y;
            case (long or bool or double, long or bool or double):
                return a is double || b is double ? ToDouble(a) == ToDouble(b) : ToLong(a) == ToLong(b);
            case (PyList x, PyList y):
                if (x.IsTuple != y.IsTuple || x.View != y.View || x.Count != y.Count) return false;
                for (var i = 0; i < x.Count; i++)
                    if (!Equal(x[i], y[i])) return false;
                return true;
            case (PyDict x, PyDict y):
                return x.Count == y.Count && x.All(e => y.TryGet(e.Key, out var v) && Equal(e.Value, v));
            case (PyRange x, PyRange y):
                return x.Count == y.Count && (x.Count == 0 || x.Start == y.Start && (x.Count == 1 || x.Step == y.Step));
            case (Undefined, Undefined):
                return true;
            default:
                return false;
        }
    }

    /// <summary>Python's ordering: numbers with numbers, strings by code unit, lists and tuples item by item.</summary>
    public static int Compare(object? a, object? b, string op = "<")
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        if (a is Markup ma) a = ma.Text;
        if (b is Markup mb) b = mb.Text;
        switch (a, b)
        {
            case (Undefined u, _):
                throw u.Error();
            case (_, Undefined u):
                throw u.Error();
            case (long or bool or double, long or bool or double):
                return a is double || b is double ? ToDouble(a).CompareTo(ToDouble(b)) : ToLong(a).CompareTo(ToLong(b));
            case (string x, string y):
                return Math.Sign(string.CompareOrdinal(x, y));
            case (PyList x, PyList y) when x.IsTuple == y.IsTuple && x.View is null && y.View is null:
                for (var i = 0; i < Math.Min(x.Count, y.Count); i++)
                    if (!Equal(x[i], y[i])) return Compare(x[i], y[i], op);
                return x.Count.CompareTo(y.Count);
            default:
                throw new TemplateRuntimeError($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
        }
    }

    /// <summary>The items a for loop or a filter walks: a dict gives its keys, a string its characters, an iterator
    /// what it has left (which it then no longer has).</summary>
    public static IReadOnlyList<object?> Iterate(object? v) => v switch
    {
        PyList l => l,
        PyRange r => r,
        string or Markup => Markup.TextOf(v)!.Select(c => (object?)c.ToString()).ToArray(),
        PyIterator it => it.TakeAll(),
        PyDict d => d.Keys.ToArray(),
        Undefined => PyList.Empty,
        _ => throw new TemplateRuntimeError($"'{TypeName(v)}' object is not iterable"),
    };

    public static int Length(object? v) => v switch
    {
        string s => s.Length,
        Markup m => m.Text.Length,
        PyList l => l.Count,
        PyDict d => d.Count,
        PyRange r => r.Count,
        Undefined => 0,
        _ => throw new TemplateRuntimeError($"object of type '{TypeName(v)}' has no len()"),
    };

    public static bool Contains(object? container, object? item) => container switch
    {
        string or Markup when Markup.TextOf(item) is { } sub => Markup.TextOf(container)!.Contains(sub, StringComparison.Ordinal),
        string or Markup => throw new TemplateRuntimeError($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        PyList or PyRange => ((IEnumerable<object?>)container).Any(x => Equal(x, item)),
        PyIterator it => Consume(it, item),
        PyDict d => d.ContainsKey(item),
        Undefined => false,
        _ => throw new TemplateRuntimeError($"argument of type '{TypeName(container)}' is not iterable"),
    };

    /// <summary><c>in</c> over an iterator reads it up to the item, as Python's does.</summary>
    private static bool Consume(PyIterator it, object? item)
    {
        while (it.TakeOne(out var next))
            if (Equal(next, item)) return true;
        return false;
    }

    /// <summary>A caller's value as a template value: JSON, dictionaries and sequences become dicts and lists.</summary>
    public static object? FromClr(object? value) => value switch
    {
        null or bool or long or double or string or Markup or PyList or PyDict or PyRange or Undefined or Namespace or Callable => value,
        int or short or sbyte or byte or ushort or uint => Convert.ToInt64(value),
        ulong u => checked((long)u),
        float or decimal => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
        JsonElement json => FromJson(json),
        ChatMessage m => Dict(("role", m.Role), ("content", m.Content)),
        IDictionary d => FromDictionary(d),
        IEnumerable e => new PyList(e.Cast<object?>().Select(FromClr).ToArray()),
        _ => throw new ArgumentException($"a template variable cannot be a {value.GetType().Name}"),
    };

    public static PyDict Dict(params (string Key, object? Value)[] entries)
    {
        var dict = new PyDict(entries.Length);
        foreach (var (k, v) in entries) dict.Set(k, v);
        return dict;
    }

    private static PyDict FromDictionary(IDictionary d)
    {
        var dict = new PyDict(d.Count);
        foreach (DictionaryEntry e in d) dict.Set(FromClr(e.Key), FromClr(e.Value));
        return dict;
    }

    private static object? FromJson(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.String => json.GetString(),
        JsonValueKind.Number => json.TryGetInt64(out var l) ? l : (object)json.GetDouble(),
        JsonValueKind.True => True,
        JsonValueKind.False => False,
        JsonValueKind.Array => new PyList(json.EnumerateArray().Select(FromJson).ToArray()),
        JsonValueKind.Object => json.EnumerateObject().Aggregate(new PyDict(), (d, p) =>
        {
            d.Set(p.Name, FromJson(p.Value));
            return d;
        }),
        _ => null,
    };
}

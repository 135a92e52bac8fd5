using System.Collections.Frozen;

namespace OrleansLlm.Engine.Chat.Jinja;

internal delegate bool Test(Renderer renderer, object? value, Arguments args);

/// <summary>
/// jinja2's tests (<c>x is defined</c>, <c>x is string</c>, <c>n is divisibleby 3</c>...) with Python's notion of the
/// types behind them: bool counts as a number but not as an integer, an undefined value is iterable and callable.
/// </summary>
internal static class TestFunctions
{
    private static readonly FrozenDictionary<string, Test> All = new Dictionary<string, Test>
    {
        ["boolean"] = (_, v, a) => None(a, v is bool),
        ["callable"] = (_, v, a) => None(a, v is Callable or Undefined or LoopContext),
        ["defined"] = (_, v, a) => None(a, v is not Undefined),
        ["divisibleby"] = (r, v, a) => Py.Equal(Operators.Binary(r, BinaryOp.Mod, v, One(a, "divisibleby", "num")), 0L),
        ["escaped"] = (_, v, a) => None(a, v is Markup),
        ["even"] = (r, v, a) => None(a, Py.Equal(Operators.Binary(r, BinaryOp.Mod, v, 2L), 0L)),
        ["false"] = (_, v, a) => None(a, v is false),
        ["filter"] = (_, v, a) => None(a, v is string name && Filters.Exists(name)),
        ["float"] = (_, v, a) => None(a, v is double),
        ["in"] = (_, v, a) => Py.Contains(One(a, "in", "seq"), v),
        ["integer"] = (_, v, a) => None(a, v is long),
        ["iterable"] = (_, v, a) => None(a, v is string or Markup or PyList or PyDict or PyRange or PyIterator or Undefined or LoopContext),
        ["lower"] = (_, v, a) => None(a, PyText.Str(v) is var s && s.Any(char.IsLetter) && !s.Any(char.IsUpper)),
        ["mapping"] = (_, v, a) => None(a, v is PyDict),
        ["none"] = (_, v, a) => None(a, v is null),
        ["number"] = (_, v, a) => None(a, Py.IsNumber(v)),
        ["odd"] = (r, v, a) => None(a, Py.Equal(Operators.Binary(r, BinaryOp.Mod, v, 2L), 1L)),
        ["sameas"] = (_, v, a) => SameAs(v, One(a, "sameas", "other")),
        ["sequence"] = (_, v, a) => None(a, v is string or Markup or PyList { View: null } or PyDict or PyRange or Undefined),
        ["string"] = (_, v, a) => None(a, v is string or Markup),
        ["test"] = (_, v, a) => None(a, v is string name && Exists(name)),
        ["true"] = (_, v, a) => None(a, v is true),
        ["undefined"] = (_, v, a) => None(a, v is Undefined),
        ["upper"] = (_, v, a) => None(a, PyText.Str(v) is var s && s.Any(char.IsLetter) && !s.Any(char.IsLower)),
    }.Concat(Comparisons()).ToFrozenDictionary();

    private static IEnumerable<KeyValuePair<string, Test>> Comparisons()
    {
        string[][] names = [["==", "eq", "equalto"], ["!=", "ne"], ["<", "lt", "lessthan"], ["<=", "le"], [">", "gt", "greaterthan"], [">=", "ge"]];
        foreach (var group in names)
        foreach (var name in group)
            yield return new(name, (_, v, a) => Operators.Compare(group[0], v, One(a, name, "other")));
    }

    public static bool Exists(string name) => All.ContainsKey(name);

    public static bool Apply(Renderer renderer, string name, object? value, Arguments args) =>
        All.TryGetValue(name, out var test) ? test(renderer, value, args) : throw new TemplateRuntimeError($"No test named '{name}' found.");

    private static bool None(Arguments args, bool result)
    {
        args.Bind("test", []);
        return result;
    }

    private static object? One(Arguments args, string test, string parameter) => args.Bind(test, [parameter], Arguments.Required)[0];

    /// <summary>Python's <c>is</c>: None, bools and small ints are one object each; anything else only itself.</summary>
    private static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y && x is >= -5 and <= 256,
        _ => ReferenceEquals(a, b),
    };
}

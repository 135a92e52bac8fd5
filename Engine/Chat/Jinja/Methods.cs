namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Python methods of the values templates hold. Methods that would change a list or dict are there but refused when
/// called, as transformers' ImmutableSandboxedEnvironment refuses them: templates carry state in a namespace instead.
/// </summary>
internal static class Methods
{
    private static readonly HashSet<string> DictMethods = ["items", "keys", "values", "get", "copy"];
    private static readonly HashSet<string> DictChanges = ["clear", "pop", "popitem", "setdefault", "update"];
    private static readonly HashSet<string> ListMethods = ["index", "count", "copy"];
    private static readonly HashSet<string> ListChanges = ["append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"];

    /// <summary>The method <c>name</c> of target bound to it, an undefined that refuses a call for one that changes it,
    /// or null when it has none.</summary>
    public static object? Bind(object target, string name) => target switch
    {
        string when StringMethods.Has(name) => new BoundMethod(target, name),
        PyDict when DictMethods.Contains(name) => new BoundMethod(target, name),
        PyDict when DictChanges.Contains(name) => Undefined.Unsafe(target, name),
        PyList when ListMethods.Contains(name) => new BoundMethod(target, name),
        PyList when ListChanges.Contains(name) => Undefined.Unsafe(target, name),
        _ => null,
    };

    public static object? Call(Renderer renderer, object target, string name, Arguments args) => target switch
    {
        string s => StringMethods.Call(renderer, s, name, args),
        PyDict d => Dict(d, name, args),
        PyList l => List(l, name, args),
        _ => throw new TemplateRuntimeError($"'{Py.TypeName(target)}' object has no attribute '{name}'"),
    };

    private static object? Dict(PyDict dict, string name, Arguments args)
    {
        switch (name)
        {
            case "items":
                args.Bind("items", []);
                return new PyList(dict.Select(e => (object?)PyList.Tuple(e.Key, e.Value)).ToArray(), view: "dict_items");
            case "keys":
                args.Bind("keys", []);
                return new PyList(dict.Keys.ToArray(), view: "dict_keys");
            case "values":
                args.Bind("values", []);
                return new PyList(dict.Values.ToArray(), view: "dict_values");
            case "copy":
                args.Bind("copy", []);
                var copy = new PyDict(dict.Count);
                foreach (var (k, v) in dict) copy.Set(k, v);
                return copy;
            default:
                var p = args.Bind("get", ["key", "default"], Arguments.Required, null);
                return dict.TryGet(p[0], out var value) ? value : p[1];
        }
    }

    private static object? List(PyList list, string name, Arguments args)
    {
        switch (name)
        {
            case "copy":
                args.Bind("copy", []);
                return new PyList([.. list], list.IsTuple);
            case "count":
                var item = args.Bind("count", ["value"], Arguments.Required)[0];
                return (long)list.Count(x => Py.Equal(x, item));
            default:
                var p = args.Bind("index", ["value", "start", "stop"], Arguments.Required, 0L, (long)list.Count);
                for (var i = (int)Math.Max(0, Py.ToLong(p[1])); i < Math.Min(list.Count, Py.ToLong(p[2])); i++)
                    if (Py.Equal(list[i], p[0])) return (long)i;
                throw new TemplateRuntimeError($"{PyText.Repr(p[0])} is not in list");
        }
    }
}

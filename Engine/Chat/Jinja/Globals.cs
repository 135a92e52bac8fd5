using System.Collections.Frozen;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// The names every template sees: jinja2's <c>range</c> (the sandbox's, at most 100,000 items), <c>dict</c>,
/// <c>namespace</c>, <c>joiner</c>, and transformers' <c>raise_exception</c> and <c>strftime_now</c>.
/// </summary>
internal static class Globals
{
    public static readonly FrozenDictionary<string, object> All = new Callable[]
    {
        new Builtin("range", (_, a) => Range(a)),
        new Builtin("dict", (_, a) => Dict(a)),
        new Builtin("namespace", (_, a) => Namespace(a)),
        new Builtin("joiner", (_, a) => Joiner(a)),
        new Builtin("raise_exception", (_, a) => throw new TemplateRaisedError(PyText.Str(a.Bind("raise_exception", ["message"], Arguments.Required)[0]))),
        new Builtin("strftime_now", (_, a) => Strftime.Format(DateTime.Now, PyText.Str(a.Bind("strftime_now", ["format"], Arguments.Required)[0]))),
    }.ToFrozenDictionary(c => c.Name, c => (object)c);

    private static PyRange Range(Arguments args)
    {
        if (args.Named.Count > 0) throw new TemplateRuntimeError("range() takes no keyword arguments");
        var n = args.Positional.Select(v => Py.IsInt(v) ? Py.ToLong(v)
            : throw new TemplateRuntimeError($"'{Py.TypeName(v)}' object cannot be interpreted as an integer")).ToArray();
        return n.Length switch
        {
            1 => new PyRange(0, n[0], 1),
            2 => new PyRange(n[0], n[1], 1),
            3 => new PyRange(n[0], n[1], n[2]),
            _ => throw new TemplateRuntimeError($"range expected at most 3 arguments, got {n.Length}"),
        };
    }

    /// <summary>dict(mapping or pairs, **kwargs), as Python's dict() builds one.</summary>
    private static PyDict Dict(Arguments args)
    {
        if (args.Positional.Count > 1) throw new TemplateRuntimeError($"dict expected at most 1 argument, got {args.Positional.Count}");
        var dict = new PyDict();
        switch (args.Positional.FirstOrDefault())
        {
            case PyDict source:
                foreach (var (k, v) in source) dict.Set(k, v);
                break;
            case { } pairs:
                foreach (var pair in Py.Iterate(pairs))
                {
                    var kv = Py.Iterate(pair);
                    if (kv.Count != 2) throw new TemplateRuntimeError("dictionary update sequence element has the wrong length; 2 is required");
                    dict.Set(kv[0], kv[1]);
                }
                break;
        }
        foreach (var (k, v) in args.Named) dict.Set(k, v);
        return dict;
    }

    private static Namespace Namespace(Arguments args)
    {
        var ns = new Namespace();
        foreach (var (k, v) in Dict(args)) ns.Attributes[k as string ?? throw new TemplateRuntimeError("keywords must be strings")] = v;
        return ns;
    }

    /// <summary>joiner(sep): a callable that gives "" the first time and sep after.</summary>
    private static Builtin Joiner(Arguments args)
    {
        var separator = args.Bind("joiner", ["sep"], ", ")[0];
        var used = false;
        return new Builtin("joiner", (_, a) =>
        {
            a.Bind("joiner", []);
            if (used) return separator;
            used = true;
            return "";
        });
    }
}

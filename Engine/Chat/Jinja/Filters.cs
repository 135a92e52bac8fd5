using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace OrleansLlm.Engine.Chat.Jinja;

internal delegate object? Filter(Renderer renderer, object? value, Arguments args);

/// <summary>
/// jinja2's filters with their parameters and quirks (<c>"42.5"|int</c> is 42, <c>indent</c> leaves the first
/// line, <c>default</c> replaces only undefined unless told), and <c>tojson</c> as transformers defines it. This file
/// holds the filters on text and numbers; SequenceFilters.cs those on lists.
/// </summary>
internal static partial class Filters
{
    private static readonly FrozenDictionary<string, Filter> All = new Dictionary<string, Filter>
    {
        ["abs"] = (_, v, a) => Abs(v, a),
        ["attr"] = (_, v, a) => Access.Attribute(v, Text(a.Bind("attr", ["name"], Arguments.Required)[0])),
        ["capitalize"] = (_, v, a) => NoArgs("capitalize", a, PyText.Str(v)) is var s && s.Length > 0 ? char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant() : "",
        ["center"] = (r, v, a) => StringMethods.Justify(r, PyText.Str(v), Py.ToLong(a.Bind("center", ["width"], 80L)[0]), ' ', "center"),
        ["default"] = (_, v, a) => Default(v, a),
        ["d"] = (_, v, a) => Default(v, a),
        ["escape"] = (_, v, a) => Markup.From(NoArgs("escape", a, v)),
        ["e"] = (_, v, a) => Markup.From(NoArgs("e", a, v)),
        ["forceescape"] = (_, v, a) => new Markup(Markup.Escape(NoArgs("forceescape", a, PyText.Str(v)))),
        ["float"] = (_, v, a) => Float(v, a),
        ["format"] = (_, v, a) => Format(v, a),
        ["indent"] = (r, v, a) => Indent(r, PyText.Str(v), a),
        ["int"] = (_, v, a) => Int(v, a),
        ["lower"] = (_, v, a) => NoArgs("lower", a, PyText.Str(v)).ToLowerInvariant(),
        ["replace"] = (r, v, a) => Replace(r, v, a),
        ["round"] = (_, v, a) => Round(v, a),
        ["safe"] = (_, v, a) => NoArgs("safe", a, v) as Markup ?? new Markup(PyText.Str(v)),
        ["string"] = (_, v, a) => NoArgs("string", a, PyText.Str(v)),
        ["title"] = (_, v, a) => Title(NoArgs("title", a, PyText.Str(v))),
        ["tojson"] = (_, v, a) => ToJson(v, a),
        ["trim"] = (_, v, a) => StringMethods.Strip(PyText.Str(v), a.Bind("trim", ["chars"], [null])[0], true, true),
        ["truncate"] = (_, v, a) => Truncate(PyText.Str(v), a),
        ["upper"] = (_, v, a) => NoArgs("upper", a, PyText.Str(v)).ToUpperInvariant(),
        ["wordcount"] = (_, v, a) => (long)Regex.Count(NoArgs("wordcount", a, PyText.Str(v)), @"\w+"),
    }.Concat(SequenceFilters()).ToFrozenDictionary();

    public static bool Exists(string name) => All.ContainsKey(name);

    public static object? Apply(Renderer renderer, string name, object? value, Arguments args) =>
        All.TryGetValue(name, out var filter) ? filter(renderer, value, args) : throw new TemplateRuntimeError($"No filter named '{name}' found.");

    private static T NoArgs<T>(string name, Arguments args, T value)
    {
        args.Bind(name, []);
        return value;
    }

    private static string Text(object? v) => v as string ?? throw new TemplateRuntimeError($"expected a string, got {Py.TypeName(v)}");

    private static object Abs(object? v, Arguments args) => NoArgs("abs", args, v) switch
    {
        long or bool => (object)Math.Abs(checked(Py.ToLong(v))),
        double d => Math.Abs(d),
        _ => throw new TemplateRuntimeError($"bad operand type for abs(): '{Py.TypeName(v)}'"),
    };

    private static object? Default(object? value, Arguments args)
    {
        var p = args.Bind("default", ["default_value", "boolean"], "", Py.False);
        return value is Undefined || Py.Truthy(p[1]) && !Py.Truthy(value) ? p[0] : value;
    }

    private static object? Float(object? v, Arguments args)
    {
        var fallback = args.Bind("float", ["default"], 0.0)[0];
        return v switch
        {
            double d => d,
            long or bool => (double)Py.ToLong(v),
            string s => PyMath.ParseFloat(s) is { } d ? d : fallback,
            _ => fallback,
        };
    }

    /// <summary>jinja2's int: int(text, base), else int(float(text)) so "42.23" gives 42, else the default.</summary>
    private static object? Int(object? v, Arguments args)
    {
        var p = args.Bind("int", ["default", "base"], 0L, 10L);
        return v switch
        {
            long or bool => Py.ToLong(v),
            double d when !double.IsNaN(d) && Math.Abs(d) < 9.2e18 => (long)Math.Truncate(d),
            string s => PyMath.ParseInt(s, (int)Py.ToLong(p[1])) is { } l ? l
                : PyMath.ParseFloat(s) is { } d && !double.IsNaN(d) && Math.Abs(d) < 9.2e18 ? (long)Math.Truncate(d) : p[0],
            _ => p[0],
        };
    }

    private static string Format(object? v, Arguments args)
    {
        if (args.Positional.Count > 0 && args.Named.Count > 0)
            throw new TemplateRuntimeError("can't handle positional and keyword arguments at the same time");
        object? values = args.Named.Count > 0
            ? args.Named.Aggregate(new PyDict(), (d, n) => { d.Set(n.Key, n.Value); return d; })
            : new PyList([.. args.Positional], isTuple: true);
        return PyFormat.Percent(PyText.Str(v), values);
    }

    /// <summary>jinja2 3.1's indent, quirks included: a newline is added before splitting, blank lines stay bare.</summary>
    private static string Indent(Renderer renderer, string s, Arguments args)
    {
        var p = args.Bind("indent", ["width", "first", "blank"], 4L, Py.False, Py.False);
        if (p[0] is not string) renderer.Reserve(Py.ToLong(p[0]) * 2);
        var indention = p[0] as string ?? new string(' ', (int)Math.Max(0, Py.ToLong(p[0])));
        var lines = StringMethods.SplitLines(s + "\n", keepEnds: false);
        var rv = Py.Truthy(p[2])
            ? string.Join("\n" + indention, lines)
            : lines[0] + (lines.Count > 1 ? "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? indention + l : l)) : "");
        return Py.Truthy(p[1]) ? indention + rv : rv;
    }

    private static string Replace(Renderer renderer, object? v, Arguments args)
    {
        var p = args.Bind("replace", ["old", "new", "count"], Arguments.Required, Arguments.Required, null);
        return (string)StringMethods.Call(renderer, PyText.Str(v), "replace",
            Arguments.Of(PyText.Str(p[0]), PyText.Str(p[1]), p[2] ?? -1L))!;
    }

    private static object Round(object? v, Arguments args)
    {
        var p = args.Bind("round", ["precision", "method"], 0L, "common");
        var digits = (int)Py.ToLong(p[0]);
        if (p[1] is not ("common" or "ceil" or "floor")) throw new TemplateRuntimeError("method must be common, ceil or floor");
        if (!Py.IsNumber(v)) throw new TemplateRuntimeError($"type {Py.TypeName(v)} doesn't define __round__ method");
        if (p[1] is "common" && Py.IsInt(v)) return digits >= 0 ? Py.ToLong(v) : (long)PyMath.Round(Py.ToLong(v), digits);
        if (p[1] is "common") return PyMath.Round(Py.ToDouble(v), digits);
        var scale = Math.Pow(10, digits);
        return (p[1] is "ceil" ? Math.Ceiling(Py.ToDouble(v) * scale) : Math.Floor(Py.ToDouble(v) * scale)) / scale;
    }

    /// <summary>jinja2's title, which capitalises after blanks, dashes and opening brackets (unlike str.title).</summary>
    private static string Title(string s) => string.Concat(Regex.Split(s, @"([-\s({\[<]+)")
        .Where(item => item.Length > 0).Select(item => char.ToUpperInvariant(item[0]) + item[1..].ToLowerInvariant()));

    private static string ToJson(object? v, Arguments args)
    {
        var p = args.Bind("tojson", ["ensure_ascii", "indent", "separators", "sort_keys"], Py.False, null, null, Py.False);
        var indent = p[1] switch
        {
            null => null,
            string s => s,
            _ => new string(' ', (int)Math.Max(0, Py.ToLong(p[1]))),
        };
        var (item, key) = p[2] switch
        {
            null => (indent is null ? ", " : ",", ": "),
            PyList { Count: 2 } s when s[0] is string a && s[1] is string b => (a, b),
            _ => throw new TemplateRuntimeError("separators must be a pair of strings"),
        };
        return PyJson.Dumps(v, Py.Truthy(p[0]), indent, item, key, Py.Truthy(p[3]));
    }

    private static string Truncate(string s, Arguments args)
    {
        var p = args.Bind("truncate", ["length", "killwords", "end", "leeway"], 255L, Py.False, "...", null);
        var (length, end, leeway) = (Py.ToLong(p[0]), Text(p[2]), p[3] is null ? 5 : Py.ToLong(p[3]));
        if (length < end.Length) throw new TemplateRuntimeError($"expected length >= {end.Length}, got {length}");
        if (leeway < 0) throw new TemplateRuntimeError($"expected leeway >= 0, got {leeway}");
        if (s.Length <= length + leeway) return s;
        var kept = s[..(int)(length - end.Length)];
        if (Py.Truthy(p[1])) return kept + end;
        var space = kept.LastIndexOf(' ');
        return (space < 0 ? kept : kept[..space]) + end;
    }
}

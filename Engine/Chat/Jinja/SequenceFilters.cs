namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// jinja2's filters over sequences: picking (first, last, select, selectattr...), reshaping (map, batch, slice,
/// items, list), ordering (sort, dictsort, unique, reverse, min, max) and folding (join, sum, length). Attributes
/// are looked up as jinja2's make_attrgetter does: dotted paths, digits as indexes, strings compared case-blind
/// unless case_sensitive. Where jinja2 gives a generator these give a <see cref="PyIterator"/>, which is read once.
/// </summary>
internal static partial class Filters
{
    private static IEnumerable<KeyValuePair<string, Filter>> SequenceFilters() => new Dictionary<string, Filter>
    {
        ["batch"] = (r, v, a) => new PyIterator(Batch(r, v, a)),
        ["count"] = (_, v, a) => (long)Py.Length(NoArgs("count", a, v)),
        ["dictsort"] = (_, v, a) => DictSort(v, a),
        ["first"] = (_, v, a) => First(NoArgs("first", a, v)),
        ["items"] = (_, v, a) => NoArgs("items", a, v) switch
        {
            Undefined => new PyIterator([], "list_iterator"),
            PyDict d => new PyIterator(d.Select(e => (object?)PyList.Tuple(e.Key, e.Value)).ToArray(), "dict_itemiterator"),
            _ => throw new TemplateRuntimeError("Can only get item pairs from a mapping."),
        },
        ["join"] = (_, v, a) => Join(v, a),
        ["last"] = (_, v, a) => NoArgs("last", a, v) is PyIterator it
            ? throw new TemplateRuntimeError($"'{it.TypeName}' object is not reversible")
            : Py.Iterate(v) is { Count: > 0 } items ? items[^1] : Undefined.Hint("No last item, sequence was empty."),
        ["length"] = (_, v, a) => (long)Py.Length(NoArgs("length", a, v)),
        ["list"] = (_, v, a) => new PyList([.. Py.Iterate(NoArgs("list", a, v))]),
        ["map"] = Map,
        ["max"] = (_, v, a) => MinMax(v, a, "max", 1),
        ["min"] = (_, v, a) => MinMax(v, a, "min", -1),
        ["reject"] = (r, v, a) => Select(r, v, a, byAttribute: false, keep: false),
        ["rejectattr"] = (r, v, a) => Select(r, v, a, byAttribute: true, keep: false),
        ["reverse"] = (_, v, a) => NoArgs("reverse", a, v) switch
        {
            string or Markup => string.Concat(Markup.TextOf(v)!.Reverse()),
            PyIterator => new PyList(Py.Iterate(v).Reverse().ToArray()),
            _ => new PyIterator(Py.Iterate(v).Reverse().ToArray(), "list_reverseiterator"),
        },
        ["select"] = (r, v, a) => Select(r, v, a, byAttribute: false, keep: true),
        ["selectattr"] = (r, v, a) => Select(r, v, a, byAttribute: true, keep: true),
        ["slice"] = (r, v, a) => new PyIterator(Slice(r, v, a)),
        ["sort"] = (_, v, a) => Sort(v, a),
        ["sum"] = (r, v, a) => Sum(r, v, a),
        ["unique"] = (_, v, a) => new PyIterator(Unique(v, a)),
    };

    /// <summary>next(iter(value)): an iterator gives up its next item.</summary>
    private static object? First(object? value)
    {
        if (value is PyIterator it) return it.TakeOne(out var next) ? next : Undefined.Hint("No first item, sequence was empty.");
        return Py.Iterate(value) is { Count: > 0 } items ? items[0] : Undefined.Hint("No first item, sequence was empty.");
    }

    /// <summary>jinja2's make_attrgetter: "a.b.0" walks items (attributes as fallback); digits are indexes.</summary>
    private static Func<object?, object?> AttributeGetter(object? attribute, object? fallback = null, bool ignoreCase = false)
    {
        var parts = attribute is string s
            ? s.Split('.').Select(p => long.TryParse(p, out var n) ? (object)n : p).ToArray()
            : attribute is null ? [] : [attribute];
        return item =>
        {
            foreach (var part in parts) item = Access.GetItem(item, part);
            if (fallback is not null && item is Undefined) item = fallback;
            return ignoreCase && item is string text ? text.ToLowerInvariant() : item;
        };
    }

    /// <summary>A key per item for sort: "a,b" sorts by a tuple of attributes.</summary>
    private static Func<object?, object?> KeyGetter(object? attribute, bool ignoreCase)
    {
        if (attribute is not string s || !s.Contains(',')) return AttributeGetter(attribute, ignoreCase: ignoreCase);
        var getters = s.Split(',').Select(p => AttributeGetter(p, ignoreCase: ignoreCase)).ToArray();
        return item => new PyList(getters.Select(g => g(item)).ToArray(), isTuple: true);
    }

    /// <summary>Python's sorted: stable, also when reversed.</summary>
    private static PyList Sorted(IEnumerable<object?> items, Func<object?, object?> key, bool reverse)
    {
        var keyed = items.Select((item, i) => (Item: item, Key: key(item), Index: i)).ToList();
        keyed.Sort((a, b) => Py.Compare(a.Key, b.Key) is var c && c != 0 ? reverse ? -c : c : a.Index.CompareTo(b.Index));
        return new PyList(keyed.Select(k => k.Item).ToArray());
    }

    private static PyList Sort(object? value, Arguments args)
    {
        var p = args.Bind("sort", ["reverse", "case_sensitive", "attribute"], Py.False, Py.False, null);
        return Sorted(Py.Iterate(value), KeyGetter(p[2], ignoreCase: !Py.Truthy(p[1])), Py.Truthy(p[0]));
    }

    private static PyList DictSort(object? value, Arguments args)
    {
        var p = args.Bind("dictsort", ["case_sensitive", "by", "reverse"], Py.False, "key", Py.False);
        if (value is not PyDict dict) throw new TemplateRuntimeError("You can only sort by either 'key' or 'value'");
        var position = p[1] switch
        {
            "key" => 0,
            "value" => 1,
            _ => throw new TemplateRuntimeError("You can only sort by either 'key' or 'value'"),
        };
        var pairs = dict.Select(e => (object?)PyList.Tuple(e.Key, e.Value));
        var ignoreCase = !Py.Truthy(p[0]);
        return Sorted(pairs, pair => ((PyList)pair!)[position] is string s && ignoreCase ? s.ToLowerInvariant() : ((PyList)pair!)[position],
            Py.Truthy(p[2]));
    }

    private static PyList Unique(object? value, Arguments args)
    {
        var p = args.Bind("unique", ["case_sensitive", "attribute"], Py.False, null);
        var key = AttributeGetter(p[1], ignoreCase: !Py.Truthy(p[0]));
        var seen = new PyDict();
        var kept = new List<object?>();
        foreach (var item in Py.Iterate(value))
        {
            var k = key(item);
            if (seen.ContainsKey(k)) continue;
            seen.Set(k, null);
            kept.Add(item);
        }
        return new PyList([.. kept]);
    }

    private static object? MinMax(object? value, Arguments args, string name, int sign)
    {
        var p = args.Bind(name, ["case_sensitive", "attribute"], Py.False, null);
        var items = Py.Iterate(value);
        if (items.Count == 0) return Undefined.Hint("No aggregated item, sequence was empty.");
        var key = AttributeGetter(p[1], ignoreCase: !Py.Truthy(p[0]));
        return items.Aggregate((best, item) => Py.Compare(key(item), key(best)) * sign > 0 ? item : best);
    }

    private static string Join(object? value, Arguments args)
    {
        var p = args.Bind("join", ["d", "attribute"], "", null);
        var get = AttributeGetter(p[1]);
        return string.Join(PyText.Str(p[0]), Py.Iterate(value).Select(item => PyText.Str(get(item))));
    }

    private static object? Sum(Renderer renderer, object? value, Arguments args)
    {
        var p = args.Bind("sum", ["attribute", "start"], null, 0L);
        var get = AttributeGetter(p[0]);
        return Py.Iterate(value).Aggregate(p[1], (total, item) => Operators.Binary(renderer, BinaryOp.Add, total, get(item)));
    }

    /// <summary>map('filter', args...) applies a filter to each item; map(attribute='x', default=...) takes one. A
    /// false value (none, undefined, empty) maps to nothing, as jinja2's <c>if value:</c> has it.</summary>
    private static object? Map(Renderer renderer, object? value, Arguments args)
    {
        Func<object?, object?> map;
        if (args.Positional.Count == 0 && args.Named.Any(n => n.Key == "attribute"))
        {
            var p = args.Bind("map", ["attribute", "default"], Arguments.Required, null);
            map = AttributeGetter(p[0], p[1]);
        }
        else
        {
            if (args.Positional.Count == 0) throw new TemplateRuntimeError("map requires a filter argument");
            var name = Text(args.Positional[0]);
            var rest = args.Skip(1);
            map = item => Apply(renderer, name, item, rest);
        }
        return new PyIterator(Py.Truthy(value) ? Py.Iterate(value).Select(map).ToArray() : []);
    }

    /// <summary>select/reject('test', args...), selectattr/rejectattr('attr', 'test', args...); no test means truth;
    /// a false value selects nothing.</summary>
    private static PyIterator Select(Renderer renderer, object? value, Arguments args, bool byAttribute, bool keep)
    {
        if (!Py.Truthy(value)) return new PyIterator([]);
        var get = (Func<object?, object?>)(x => x);
        var offset = 0;
        if (byAttribute)
        {
            if (args.Positional.Count == 0) throw new TemplateRuntimeError("Missing parameter for attribute name");
            get = AttributeGetter(args.Positional[0]);
            offset = 1;
        }
        Func<object?, bool> test = Py.Truthy;
        if (args.Positional.Count > offset)
        {
            var name = Text(args.Positional[offset]);
            var rest = args.Skip(offset + 1);
            test = item => TestFunctions.Apply(renderer, name, item, rest);
        }
        return new PyIterator(Py.Iterate(value).Where(item => test(get(item)) == keep).ToArray());
    }

    private static PyList Batch(Renderer renderer, object? value, Arguments args)
    {
        var p = args.Bind("batch", ["linecount", "fill_with"], Arguments.Required, null);
        var size = Py.ToLong(p[0]);
        if (p[1] is not null) renderer.Reserve(size * 8);
        var batches = new List<object?>();
        var current = new List<object?>();
        foreach (var item in Py.Iterate(value))
        {
            if (current.Count == size)
            {
                batches.Add(new PyList([.. current]));
                current = [];
            }
            current.Add(item);
        }
        if (current.Count > 0)
        {
            while (p[1] is not null && current.Count < size) current.Add(p[1]);
            batches.Add(new PyList([.. current]));
        }
        return new PyList([.. batches]);
    }

    private static PyList Slice(Renderer renderer, object? value, Arguments args)
    {
        var p = args.Bind("slice", ["slices", "fill_with"], Arguments.Required, null);
        var items = Py.Iterate(value);
        renderer.Reserve(Py.ToLong(p[0]) * 8);
        var slices = (int)Py.ToLong(p[0]);
        if (slices <= 0) throw new TemplateRuntimeError("integer division or modulo by zero");
        var (perSlice, withExtra) = (items.Count / slices, items.Count % slices);
        var result = new List<object?>();
        for (int n = 0, offset = 0; n < slices; n++)
        {
            var start = offset + n * perSlice;
            if (n < withExtra) offset++;
            var slice = items.Skip(start).Take(offset + (n + 1) * perSlice - start).ToList();
            if (p[1] is not null && n >= withExtra) slice.Add(p[1]);
            result.Add(new PyList([.. slice]));
        }
        return new PyList([.. result]);
    }
}

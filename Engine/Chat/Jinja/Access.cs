namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// <c>x.name</c> and <c>x[key]</c> as jinja2's sandbox resolves them: an attribute first and then an item for
/// <c>.</c>, the other way round for <c>[]</c>; what is missing is undefined, not an error, until it is used.
/// </summary>
internal static class Access
{
    public static object? GetAttr(object? target, string name)
    {
        if (target is Undefined u) throw u.Error();
        if (TryAttribute(target, name, out var value)) return value;
        if (target is PyDict dict && dict.TryGet(name, out value)) return value;
        return Undefined.Attribute(target, name);
    }

    public static object? GetItem(object? target, object? key)
    {
        if (target is Markup m) target = m.Text;
        switch (target)
        {
            case Undefined u:
                throw u.Error();
            case PyDict dict when dict.TryGet(key, out var value):
                return value;
            case string or PyList { View: null } or PyRange when Py.IsInt(key):
                var length = Py.Length(target);
                var i = Py.ToLong(key);
                if (i < 0) i += length;
                if (i >= 0 && i < length) return target is string s ? s[(int)i].ToString() : ((IReadOnlyList<object?>)target)[(int)i];
                break;
        }
        if (key is string name && TryAttribute(target, name, out var attribute)) return attribute;
        return Undefined.Element(target, key);
    }

    /// <summary>An attribute without falling back to an item, as the attr filter looks it up.</summary>
    public static object? Attribute(object? target, string name) =>
        target is Undefined u ? throw u.Error() : TryAttribute(target, name, out var value) ? value : Undefined.Attribute(target, name);

    /// <summary>Python's own attributes: methods of str, list and dict, a namespace's names, the loop's fields.</summary>
    private static bool TryAttribute(object? target, string name, out object? value)
    {
        switch (target)
        {
            case Markup m:
                value = Methods.Bind(m.Text, name);
                return value is not null;
            case string or PyList or PyDict:
                value = Methods.Bind(target, name);
                return value is not null;
            case Namespace ns:
                return ns.Attributes.TryGetValue(name, out value);
            case LoopContext loop:
                value = loop.Attribute(name);
                return true;
            default:
                value = null;
                return false;
        }
    }

    /// <summary>Python's slicing, negative steps included: <c>messages[::-1]</c>, <c>messages[1:]</c>, <c>s[:-1]</c>.</summary>
    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        if (target is Undefined u) throw u.Error();
        if (target is Markup m) target = m.Text;
        if (target is not (string or PyList { View: null } or PyRange))
            return Undefined.Hint($"{Py.TypeDescription(target)} has no element slice({PyText.Repr(start)}, {PyText.Repr(stop)}, {PyText.Repr(step)})");
        var n = Py.Length(target);
        var by = step is null ? 1 : Index(step);
        if (by == 0) throw new TemplateRuntimeError("slice step cannot be zero");
        var (lower, upper) = by > 0 ? (0L, (long)n) : (-1L, n - 1L);
        var from = start is null ? by > 0 ? lower : upper : Clamp(Index(start), n, lower, upper);
        var to = stop is null ? by > 0 ? upper : lower : Clamp(Index(stop), n, lower, upper);
        var picked = new List<int>();
        for (var i = from; by > 0 ? i < to : i > to; i += by) picked.Add((int)i);
        if (target is string s) return string.Concat(picked.Select(i => s[i]));
        var items = (IReadOnlyList<object?>)target!;
        return new PyList(picked.Select(i => items[i]).ToArray(), target is PyList { IsTuple: true });
    }

    private static long Index(object? v) =>
        Py.IsInt(v) ? Py.ToLong(v) : throw new TemplateRuntimeError("slice indices must be integers or None or have an __index__ method");

    private static long Clamp(long i, int n, long lower, long upper)
    {
        if (i < 0) return Math.Max(i + n, lower);
        return Math.Min(i, upper);
    }
}

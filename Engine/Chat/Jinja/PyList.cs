namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// A Python list or tuple, or a dict's keys(), values() or items() view (which iterates and has a length like a list
/// but is not subscriptable and not JSON). Immutable once built: the sandbox transformers renders in refuses the
/// methods that change a list, and a template's own lists are new values, so values can be shared freely.
/// </summary>
internal sealed class PyList(object?[] items, bool isTuple = false, string? view = null) : IReadOnlyList<object?>
{
    public static readonly PyList Empty = new([]);

    public bool IsTuple { get; } = isTuple;

    /// <summary>"dict_keys", "dict_values" or "dict_items" for a dict's view; null for a list or tuple.</summary>
    public string? View { get; } = view;

    public int Count => items.Length;

    public object? this[int index] => items[index];

    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)items).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public static PyList Tuple(params object?[] items) => new(items, isTuple: true);
}

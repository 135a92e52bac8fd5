namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// A Python list or tuple. Immutable once built: the sandbox transformers renders in refuses the methods that change
/// a list, and a template's own lists are new values, so values can be shared freely.
/// </summary>
internal sealed class PyList(object?[] items, bool isTuple = false) : IReadOnlyList<object?>
{
    public static readonly PyList Empty = new([]);
    public static readonly PyList EmptyTuple = new([], isTuple: true);

    public bool IsTuple { get; } = isTuple;

    public int Count => items.Length;

    public object? this[int index] => items[index];

    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)items).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public static PyList Tuple(params object?[] items) => new(items, isTuple: true);
}

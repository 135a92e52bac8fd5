namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// A Python dict: keys in insertion order, compared as Python compares them (1, 1.0 and True are one key). Filled
/// while it is built, then only read, like <see cref="PyList"/>.
/// </summary>
internal sealed class PyDict : IReadOnlyCollection<KeyValuePair<object?, object?>>
{
    private static readonly object NoneKey = new();
    private readonly List<KeyValuePair<object?, object?>> _entries;
    private readonly Dictionary<object, int> _index;

    public PyDict(int capacity = 0)
    {
        _entries = new(capacity);
        _index = new(capacity, KeyComparer.Instance);
    }

    public int Count => _entries.Count;

    public IEnumerable<object?> Keys => _entries.Select(e => e.Key);

    public IEnumerable<object?> Values => _entries.Select(e => e.Value);

    public void Set(object? key, object? value)
    {
        var k = Hashable(key);
        if (_index.TryGetValue(k, out var at)) _entries[at] = new(_entries[at].Key, value);
        else
        {
            _index[k] = _entries.Count;
            _entries.Add(new(key, value));
        }
    }

    public bool TryGet(object? key, out object? value)
    {
        value = null;
        if (key is PyList { IsTuple: false } or PyDict || !_index.TryGetValue(Hashable(key), out var at)) return false;
        value = _entries[at].Value;
        return true;
    }

    public bool ContainsKey(object? key) => TryGet(key, out _);

    public IEnumerator<KeyValuePair<object?, object?>> GetEnumerator() => _entries.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private static object Hashable(object? key) => key switch
    {
        null => NoneKey,
        PyList { IsTuple: false } or PyDict or Namespace => throw new TemplateRuntimeError($"unhashable type: '{Py.TypeName(key)}'"),
        _ => key,
    };

    /// <summary>Python's equality and hash for keys: numbers by value across bool, int and float; tuples by items.</summary>
    private sealed class KeyComparer : IEqualityComparer<object>
    {
        public static readonly KeyComparer Instance = new();

        public new bool Equals(object? x, object? y) => ReferenceEquals(x, y) || Py.Equal(x == NoneKey ? null : x, y == NoneKey ? null : y);

        public int GetHashCode(object obj)
        {
            System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
            return Hash(obj);
        }

        private int Hash(object obj) => obj switch
        {
            string s => s.GetHashCode(),
            bool b => b ? 1 : 0,
            long l => l.GetHashCode(),
            double d when d == Math.Floor(d) && Math.Abs(d) < 9.2e18 => ((long)d).GetHashCode(),
            double d => d.GetHashCode(),
            PyList t => t.Aggregate(17, (h, item) => h * 31 + (item is null ? 0 : GetHashCode(item))),
            _ => obj.GetHashCode(),
        };
    }
}

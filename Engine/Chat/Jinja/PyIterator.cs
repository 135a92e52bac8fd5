namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// A one-pass iterator, which map, select, reject, selectattr, rejectattr, unique, batch, slice, items and reverse
/// give in jinja2: always true (even when empty), without a length, consumed by the first loop or filter that reads
/// it. Templates write <c>|list</c> after them for that reason, and one that does not behaves as it does there.
/// </summary>
internal sealed class PyIterator(IReadOnlyList<object?> items, string typeName = "generator")
{
    private int _position;

    public string TypeName => typeName;

    public int Remaining => items.Count - _position;

    public IReadOnlyList<object?> TakeAll()
    {
        var rest = items.Skip(_position).ToArray();
        _position = items.Count;
        return rest;
    }

    public bool TakeOne(out object? item)
    {
        item = null;
        if (_position == items.Count) return false;
        item = items[_position++];
        return true;
    }
}

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Python's <c>range</c>: lazy, so <c>{% for i in range(n) %}</c> costs no memory. The sandbox refuses ranges of more
/// than 100,000 items, as jinja2's safe_range does.
/// </summary>
internal sealed class PyRange : IReadOnlyList<object?>
{
    public const int MaxItems = 100_000;

    public PyRange(long start, long stop, long step)
    {
        if (step == 0) throw new TemplateRuntimeError("range() arg 3 must not be zero");
        (Start, Stop, Step) = (start, stop, step);
        var count = step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / -step;
        Count = (int)Math.Clamp(count, 0, MaxItems + 1L);
        if (Count > MaxItems)
            throw new TemplateRuntimeError($"Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MaxItems}).");
    }

    public long Start { get; }
    public long Stop { get; }
    public long Step { get; }
    public int Count { get; }

    public object? this[int index] => Start + index * Step;

    public IEnumerator<object?> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>The <c>loop</c> variable of a for loop: where the iteration is, what is around it, <c>cycle</c> and <c>changed</c>.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items)
{
    private object? _lastChanged = Missing;
    private static readonly object Missing = new();

    public int Index0 { get; set; }

    public int Length => items.Count;

    public object? Attribute(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(Length - Index0),
        "revindex0" => (long)(Length - Index0 - 1),
        "first" => Py.Bool(Index0 == 0),
        "last" => Py.Bool(Index0 == Length - 1),
        "length" => (long)Length,
        "depth" => 1L,
        "depth0" => 0L,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : Undefined.Hint("there is no previous item"),
        "nextitem" => Index0 < Length - 1 ? items[Index0 + 1] : Undefined.Hint("there is no next item"),
        "cycle" => new Builtin("cycle", (_, args) => Cycle(args)),
        "changed" => new Builtin("changed", (_, args) => Changed(args)),
        _ => Undefined.Attribute(this, name),
    };

    private object? Cycle(Arguments args)
    {
        if (args.Positional.Count == 0) throw new TemplateRuntimeError("no items for cycling given");
        return args.Positional[Index0 % args.Positional.Count];
    }

    private object Changed(Arguments args)
    {
        var value = new PyList([.. args.Positional], isTuple: true);
        if (_lastChanged != Missing && Py.Equal(_lastChanged, value)) return Py.False;
        _lastChanged = value;
        return Py.True;
    }
}

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// jinja2's default Undefined: a missing variable, attribute or item. It prints as "", is false, iterates as empty and
/// has length 0, as chat templates expect of optional fields; anything more (an attribute or item of it, a call,
/// arithmetic, ordering) raises an error that says how it came about.
/// </summary>
internal sealed class Undefined
{
    private Undefined(string message) => Message = message;

    public string Message { get; }

    public static Undefined Named(string name) => new($"{PyText.Repr(name)} is undefined");

    public static Undefined Attribute(object? owner, string name) =>
        new($"{PyText.Repr(Py.TypeDescription(owner))} has no attribute {PyText.Repr(name)}");

    public static Undefined Element(object? owner, object? key) =>
        key is string name ? Attribute(owner, name) : new($"{Py.TypeDescription(owner)} has no element {PyText.Repr(key)}");

    /// <summary>An attribute the ImmutableSandboxedEnvironment refuses (a list's append, a dict's update...).</summary>
    public static Undefined Unsafe(object? owner, string name) =>
        new($"access to attribute {PyText.Repr(name)} of {PyText.Repr(Py.TypeName(owner))} object is unsafe.");

    public static Undefined Hint(string message) => new(message);

    public TemplateRuntimeError Error() => new(Message);
}

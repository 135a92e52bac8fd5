namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// jinja2's <c>namespace()</c>: the one mutable value a template has, which is how a loop body carries state out
/// (<c>{% set ns.found = true %}</c>), since a loop's own assignments end with its iteration. Each render makes its own.
/// </summary>
internal sealed class Namespace
{
    public Dictionary<string, object?> Attributes { get; } = [];
}

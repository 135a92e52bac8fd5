namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Variables of one frame, falling back to the enclosing ones. As in jinja2, each loop iteration, macro call,
/// <c>with</c> and captured block has its own frame, so what it sets does not leak out; an if shares the frame it is in.
/// </summary>
internal sealed class Scope(Scope? parent)
{
    private Dictionary<string, object?>? _variables;

    public bool TryGet(string name, out object? value)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
            if (scope._variables is not null && scope._variables.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public Scope? Parent => parent;

    public void Set(string name, object? value) => (_variables ??= [])[name] = value;
}

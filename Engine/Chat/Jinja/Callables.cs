namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>Anything a template can call: its macros, the globals (<c>range</c>, <c>namespace</c>...) and methods.</summary>
internal abstract class Callable
{
    public abstract string Name { get; }

    public abstract object? Invoke(Renderer renderer, Arguments args);
}

internal sealed class Builtin(string name, Func<Renderer, Arguments, object?> body) : Callable
{
    public override string Name => name;

    public override object? Invoke(Renderer renderer, Arguments args) => body(renderer, args);
}

/// <summary><c>"text".strip</c> or <c>d.items</c>, bound to its value until called.</summary>
internal sealed class BoundMethod(object target, string name) : Callable
{
    public object Target => target;

    public override string Name => name;

    public override object? Invoke(Renderer renderer, Arguments args) => Methods.Call(renderer, target, name, args);
}

/// <summary>A template's macro: its definition and the scope it was defined in, which it reads when called.</summary>
internal sealed class Macro(MacroDef definition, Scope closure) : Callable
{
    public MacroDef Definition => definition;

    public Scope Closure => closure;

    public override string Name => definition.Name;

    public override object? Invoke(Renderer renderer, Arguments args) => renderer.CallMacro(this, args, caller: null);
}

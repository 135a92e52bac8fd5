namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// A Jinja template parsed once into an immutable tree, rendered with jinja2's semantics under transformers'
/// environment (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, <c>{% generation %}</c>).
/// Renders keep their state to themselves, so one template serves any number of threads.
/// </summary>
internal sealed class Template
{
    private readonly Stmt[] _body;

    private Template(Stmt[] body) => _body = body;

    /// <exception cref="TemplateSyntaxError">The source is not a template jinja2 would compile.</exception>
    public static Template Parse(string source) => new(Parser.Parse(source));

    /// <summary>The text for these variables: .NET values (strings, numbers, bools, null, dictionaries, sequences, JSON).</summary>
    public string Render(IEnumerable<KeyValuePair<string, object?>> variables, RenderLimits? limits = null)
    {
        var root = new Scope(null);
        foreach (var (name, value) in variables) root.Set(name, Py.FromClr(value));
        return new Renderer(limits ?? RenderLimits.Default).Render(_body, root);
    }
}

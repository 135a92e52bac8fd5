namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>The evaluated arguments of a call, filter or test, bound to parameters as Python binds them.</summary>
internal sealed class Arguments(List<object?> positional, List<KeyValuePair<string, object?>> named)
{
    /// <summary>The default of a parameter that has none.</summary>
    public static readonly object Required = new();

    public static readonly Arguments None = new([], []);

    public List<object?> Positional { get; } = positional;

    public List<KeyValuePair<string, object?>> Named { get; } = named;

    public static Arguments Of(params object?[] positional) => new([.. positional], []);

    /// <summary>One value per parameter: by position, then by name, else its default.</summary>
    public object?[] Bind(string function, string[] names, params object?[] defaults)
    {
        if (Positional.Count > names.Length)
            throw new TemplateRuntimeError($"{function}() takes at most {names.Length} argument(s) ({Positional.Count} given)");
        var values = (object?[])defaults.Clone();
        var given = new bool[names.Length];
        for (var i = 0; i < Positional.Count; i++) (values[i], given[i]) = (Positional[i], true);
        foreach (var (name, value) in Named)
        {
            var i = Array.IndexOf(names, name);
            if (i < 0) throw new TemplateRuntimeError($"{function}() got an unexpected keyword argument '{name}'");
            if (given[i]) throw new TemplateRuntimeError($"{function}() got multiple values for argument '{name}'");
            (values[i], given[i]) = (value, true);
        }
        for (var i = 0; i < names.Length; i++)
            if (values[i] == Required) throw new TemplateRuntimeError($"{function}() missing required argument: '{names[i]}'");
        return values;
    }

    /// <summary>A filter's or test's arguments after the value it applies to.</summary>
    public Arguments Skip(int count) => new(Positional.Skip(count).ToList(), Named);
}

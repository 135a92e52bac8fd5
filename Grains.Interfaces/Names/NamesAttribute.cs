namespace OrleansLlm.Grains.Interfaces;

/// <summary>How a closed-set value is written where text enters (the CLI, settings, HTTP): the first name, then aliases.</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class NamesAttribute(params string[] names) : Attribute
{
    public string[] Names { get; } = names;
}

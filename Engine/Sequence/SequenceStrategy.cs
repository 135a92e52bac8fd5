namespace OrleansLlm.Engine.Sequence;

public enum SequenceStrategy { Ring, Striped, Runahead }

public static class SequenceStrategies
{
    public static SequenceStrategy Parse(string? name) => name?.ToLowerInvariant() switch
    {
        null or "ring" => SequenceStrategy.Ring,
        "striped" => SequenceStrategy.Striped,
        "runahead" => SequenceStrategy.Runahead,
        _ => throw new ArgumentException($"unknown prefill '{name}' (use ring, striped or runahead)"),
    };
}

namespace OrleansLlm.Engine.Quantization;

/// <summary>
/// What calibration decided for one linear: its activation scale, its outlier channels (where calibration saw values
/// beyond 127 × scale), how much of its output clipping them cost on calibration, and whether it gets a shadow.
/// </summary>
public sealed record StaticLinear(int Layer, string Name, double Scale, long[] Channels, double ClipError, bool Shadowed);

/// <summary>A calibration's decisions for every linear of a shard, and the summary the shard reports.</summary>
public sealed record StaticPlan(IReadOnlyList<StaticLinear> Linears)
{
    public static readonly string[] Names = ["qkv", "o", "gate_up", "down"];

    public IReadOnlyList<StaticLinear> Shadowed => Linears.Where(l => l.Shadowed).ToList();

    /// <summary>The decision for a linear by name, in the <paramref name="index"/>-th layer the plan covers.</summary>
    public StaticLinear Of(int index, string name) =>
        Linears.Where(l => l.Name == name).ElementAt(index);

    /// <summary>"shadows on 2 of 20 linears (5 channels): 0.down 3, 4.o 2", a linear as layer.name and its channels.</summary>
    public override string ToString()
    {
        var s = Shadowed;
        return $"shadows on {s.Count} of {Linears.Count} linears ({s.Sum(l => l.Channels.Length)} channels)" +
               (s.Count == 0 ? "" : ": " + string.Join(", ", s.Select(l => $"{l.Layer}.{l.Name} {l.Channels.Length}")));
    }
}

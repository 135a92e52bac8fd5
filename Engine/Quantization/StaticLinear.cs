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

    /// <summary>"shadows on 3 of 20 linears in layers 0, 4 (5 channels)".</summary>
    public override string ToString()
    {
        var s = Shadowed;
        var layers = s.Select(l => l.Layer).Distinct().ToList();
        return $"shadows on {s.Count} of {Linears.Count} linears" +
               (layers.Count == 0 ? "" : $" in layer{(layers.Count == 1 ? "" : "s")} {string.Join(", ", layers)}") +
               $" ({s.Sum(l => l.Channels.Length)} channels)";
    }
}

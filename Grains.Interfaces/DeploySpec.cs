namespace OrleansLlm.Grains.Interfaces;

/// <summary>What to deploy: a model folder (as the silos see it) or <c>shape:NAME</c> for random weights, and how.</summary>
[GenerateSerializer, Immutable, Alias("olm.DeploySpec")]
public sealed record DeploySpec
{
    [Id(0)] public required string Model { get; init; }
    [Id(1)] public int Shards { get; init; } = 1;
    /// <summary>single, tensor, pipeline or sequence.</summary>
    [Id(2)] public string Strategy { get; init; } = "single";
    /// <summary>ring, striped or runahead (sequence strategy only).</summary>
    [Id(3)] public string? Prefill { get; init; }
    /// <summary>cpu, cuda or cuda:N.</summary>
    [Id(4)] public string Device { get; init; } = "cpu";
    [Id(5)] public string DType { get; init; } = "float32";
    /// <summary>Pipeline stages for pipeline,tensor (0: 2 stages).</summary>
    [Id(6)] public int Stages { get; init; }
    /// <summary>
    /// How tensor-parallel shards add their partial sums: star (a master gathers and answers), all-to-all, or auto
    /// (all-to-all for two ranks, where it needs as many messages as star and one hop less; star above).
    /// </summary>
    [Id(7)] public string AllReduce { get; init; } = "auto";
    /// <summary>Relative capacity per shard, overriding the silos' declared speeds (tests, experiments).</summary>
    [Id(8)] public double[]? Ratios { get; init; }

    /// <summary>A stable name for this spec, so the same command reuses a running deployment.</summary>
    public string DefaultId()
    {
        var name = Model.StartsWith("shape:", StringComparison.Ordinal) ? Model[6..] : Path.GetFileName(Model.TrimEnd('/'));
        var hash = Canonical().Aggregate(2166136261u, (h, c) => (h ^ c) * 16777619u);
        return $"{name}-{hash:x8}";
    }

    /// <summary>Same model and plan (records compare arrays by reference, so this compares the canonical text).</summary>
    public bool SameAs(DeploySpec other) => Canonical() == other.Canonical();

    private string Canonical()
    {
        var ratios = Ratios is null ? "" : string.Join(",", Ratios.Select(r => r.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        return $"{Model}|{Shards}|{Strategy}|{Prefill}|{Device}|{DType}|{Stages}|{AllReduce}|{ratios}";
    }
}

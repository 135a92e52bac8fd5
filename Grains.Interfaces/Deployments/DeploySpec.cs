using System.Globalization;

namespace OrleansLlm.Grains.Interfaces;

/// <summary>What to deploy: a model folder (as the silos see it) or <c>shape:NAME</c> for random weights, and how.</summary>
[GenerateSerializer, Immutable, Alias("olm.DeploySpec")]
public sealed record DeploySpec
{
    [Id(0)] public required string Model { get; init; }
    [Id(1)] public int Shards { get; init; } = 1;
    [Id(2)] public Strategy Strategy { get; init; } = Strategy.Single;
    /// <summary>Sequence strategy only; null takes ring.</summary>
    [Id(3)] public PrefillAlgorithm? Prefill { get; init; }
    /// <summary>cpu, cuda or cuda:N.</summary>
    [Id(4)] public string Device { get; init; } = "cpu";
    [Id(5)] public DType DType { get; init; } = DType.Float32;
    /// <summary>Pipeline stages for pipeline,tensor (0: 2 stages).</summary>
    [Id(6)] public int Stages { get; init; }
    [Id(7)] public AllReduceAlgorithm AllReduce { get; init; } = AllReduceAlgorithm.Auto;
    /// <summary>Relative capacity per shard, overriding the silos' declared speeds (tests, experiments).</summary>
    [Id(8)] public double[]? Ratios { get; init; }
    [Id(9)] public ServingSettings Serving { get; init; } = new();
    /// <summary>Int8 weights and weight windows (defaults: the dtype's weights, every layer resident where it fits).</summary>
    [Id(10)] public WeightSettings Weights { get; init; } = new();
    /// <summary>Contextual sparsity at decode (default off: the dense deployment).</summary>
    [Id(11)] public SparsitySettings Sparsity { get; init; } = new();

    /// <summary>A stable name for this spec, so the same command reuses a running deployment.</summary>
    public string DefaultId()
    {
        var hash = Canonical().Aggregate(2166136261u, (h, c) => (h ^ c) * 16777619u);
        return $"{ModelName.Short(Model)}-{hash:x8}";
    }

    /// <summary>Same model and plan (records compare arrays by reference, so this compares the canonical text).</summary>
    public bool SameAs(DeploySpec other) => Canonical() == other.Canonical();

    private string Canonical()
    {
        var ratios = Ratios is null ? "" : string.Join(",", Ratios.Select(r => r.ToString("R", CultureInfo.InvariantCulture)));
        var prefill = Prefill is { } p ? EnumText<PrefillAlgorithm>.Name(p) : "";
        return $"{Model}|{Shards}|{EnumText<Strategy>.Name(Strategy)}|{prefill}|{Device}|{EnumText<DType>.Name(DType)}|{Stages}|" +
               $"{EnumText<AllReduceAlgorithm>.Name(AllReduce)}|{ratios}|{Serving}" + (Weights.IsDefault ? "" : $"|{Weights}") +
               (Sparsity.IsOff ? "" : $"|{Sparsity}");
    }
}

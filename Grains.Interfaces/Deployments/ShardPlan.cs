namespace OrleansLlm.Grains.Interfaces;

/// <summary>One shard of a plan: where it lives and which part of the model it holds.</summary>
[GenerateSerializer, Immutable, Alias("olm.ShardPlan")]
public sealed record ShardPlan
{
    [Id(0)] public required int Index { get; init; }
    /// <summary>The grain key of the shard (a <see cref="ShardKey"/>), which names its silo.</summary>
    [Id(1)] public required string GrainKey { get; init; }
    [Id(2)] public required string Silo { get; init; }
    [Id(3)] public required string Device { get; init; }
    [Id(4)] public required SliceSpec Slice { get; init; }
    [Id(5)] public long WeightBytes { get; init; }
    /// <summary>Pipeline stage (0 first) and tensor-parallel rank within it (0 is the stage's master).</summary>
    [Id(6)] public int Stage { get; init; }
    [Id(7)] public int Rank { get; init; }
    /// <summary>Half-layer blocks held at once by a weight window (0: every layer resident; WeightBytes counts the window).</summary>
    [Id(8)] public int Window { get; init; }
    /// <summary>Half-layer blocks of the slice: two a layer.</summary>
    [Id(9)] public int Blocks { get; init; }
}

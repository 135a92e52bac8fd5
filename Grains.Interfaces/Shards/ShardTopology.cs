namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A shard's neighbours: the grain keys of its stage by rank (and their devices), and the next stage's master; the
/// all-reduce is resolved (never auto).
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.ShardTopology")]
public sealed record ShardTopology(
    [property: Id(0)] int Stage,
    [property: Id(1)] int Rank,
    [property: Id(2)] string[] StageShards,
    [property: Id(3)] string? NextStage,
    [property: Id(4)] AllReduceAlgorithm AllReduce = AllReduceAlgorithm.Star,
    [property: Id(5)] int Stages = 1,
    [property: Id(6)] string[]? StageDevices = null);

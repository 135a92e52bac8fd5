namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// What a shard holds now: weights, KV memory (its pool, or a sequence-parallel shard's request caches) and, on a
/// deployment's entry, the pool's blocks in use (the same on every shard: one block table addresses them all), the
/// requests running and waiting, and how many times one was preempted. KvBlocksUsed is −1 on shards that are not the entry.
/// KvResidentBytes: the part of the pool in memory now (a CPU pool grows into its reservation as blocks are first used).
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.ShardStatus")]
public sealed record ShardStatus(
    [property: Id(0)] string Key,
    [property: Id(1)] string Silo,
    [property: Id(2)] string Device,
    [property: Id(3)] bool Loaded,
    [property: Id(4)] long WeightBytes,
    [property: Id(5)] long KvBytes,
    [property: Id(6)] long KvBudgetBytes,
    [property: Id(7)] int ActiveRequests,
    [property: Id(8)] long CachedTokens = 0,
    [property: Id(9)] int KvBlocks = 0,
    [property: Id(10)] int KvBlocksUsed = -1,
    [property: Id(11)] int WaitingRequests = 0,
    [property: Id(12)] long Preemptions = 0,
    [property: Id(13)] WeightStatus? Weights = null,
    [property: Id(14)] long KvResidentBytes = 0);

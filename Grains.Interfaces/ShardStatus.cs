namespace OrleansLlm.Grains.Interfaces;

/// <summary>What a shard holds now.</summary>
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
    [property: Id(8)] long CachedTokens = 0);

namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// How a deployment serves many requests: its KV pool (tokens per shard; 0 sizes it to the device: 90% of what the
/// weights leave, at most what MaxRunning full-context requests need) and how batches are formed (0 takes the default).
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.ServingSettings")]
public sealed record ServingSettings
{
    [Id(0)] public long KvCacheTokens { get; init; }
    [Id(1)] public int PrefillChunk { get; init; }
    [Id(2)] public int MaxBatchTokens { get; init; }
    [Id(3)] public int MaxRunning { get; init; }
    [Id(4)] public int MaxWaiting { get; init; }
}

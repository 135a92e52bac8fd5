using OrleansLlm.Engine.Model;

namespace OrleansLlm.Grains.Shards;

/// <summary>A sequence-parallel request's state on one shard: its KV cache and the bytes reserved for it.</summary>
internal sealed class RequestState(KvCache cache, long bytes)
{
    public KvCache Cache { get; } = cache;
    public long Bytes { get; } = bytes;
}

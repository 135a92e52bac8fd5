using OrleansLlm.Engine.Model;

namespace OrleansLlm.Grains.Shards;

/// <summary>A request's state on one shard: its KV cache, the bytes reserved for it, and its all-reduce counter.</summary>
internal sealed class RequestState(KvCache cache, long bytes)
{
    public KvCache Cache { get; } = cache;
    public long Bytes { get; } = bytes;

    /// <summary>All-reduces this shard has entered for the request; every rank of a stage counts the same sequence.</summary>
    public long Sequence { get; set; }
}

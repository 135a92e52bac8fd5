namespace OrleansLlm.Engine.Sequence;

/// <summary>
/// How sequence-parallel shards pass KV blocks: to a given shard, tagged with layer and step, and received by tag in
/// any order. In-process (tests) it is a set of queues; between grains it is grain calls into a mailbox.
/// </summary>
public interface IKvExchange
{
    /// <summary>Sends a block; the task completes when the receiver holds it (the block may be disposed after).</summary>
    Task SendAsync(int toShard, int layer, int step, KvBlock block);

    /// <summary>The block sent to this shard with that tag (the caller owns it).</summary>
    Task<KvBlock> ReceiveAsync(int layer, int step);
}

using System.Collections.Concurrent;
using OrleansLlm.Engine.Sequence;

namespace OrleansLlm.Tests.Engine;

/// <summary>In-process KV exchange between N shards: a mailbox per shard; sends clone the block (the sender disposes its own).</summary>
public sealed class FakeRing
{
    private readonly ConcurrentDictionary<(int Shard, int Layer, int Step), TaskCompletionSource<KvBlock>> _boxes = new();

    public int Messages;

    public IKvExchange For(int shard) => new Endpoint(this, shard);

    private TaskCompletionSource<KvBlock> Box(int shard, int layer, int step) =>
        _boxes.GetOrAdd((shard, layer, step), _ => new TaskCompletionSource<KvBlock>(TaskCreationOptions.RunContinuationsAsynchronously));

    private sealed class Endpoint(FakeRing ring, int shard) : IKvExchange
    {
        public Task SendAsync(int toShard, int layer, int step, KvBlock block)
        {
            Interlocked.Increment(ref ring.Messages);
            ring.Box(toShard, layer, step).SetResult(new KvBlock(block.Keys.clone(), block.Values.clone(), block.Positions.clone(), block.Run));
            return Task.CompletedTask;
        }

        public Task<KvBlock> ReceiveAsync(int layer, int step) => ring.Box(shard, layer, step).Task;
    }
}

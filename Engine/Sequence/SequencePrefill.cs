using System.Diagnostics;
using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Sequence;

/// <summary>
/// One shard's part of a sequence-parallel prefill: its tokens (at their global positions) through every layer, with
/// attention over the whole prompt assembled from KV blocks the shards pass each other. Ring and Striped pass blocks
/// around the ring for N−1 steps, sending the next block while computing on the current one; KV-Runahead passes each
/// shard the KV of every earlier token, layer by layer, with no global synchronisation. Each shard keeps its own
/// tokens' KV, so the cache stays distributed for decode.
/// </summary>
public sealed class SequencePrefill(ShardModel model, KvCache cache, int shard, int shards, IKvExchange exchange, IComputeRunner runner)
{
    private readonly Stopwatch _busy = new();
    private PositionRun _run = PositionRun.Empty;
    private long _lastPosition = -1;

    /// <summary>Time this shard spent computing (not waiting for blocks).</summary>
    public TimeSpan Busy => _busy.Elapsed;

    /// <summary>Returns the hidden states [S_i, hidden] of this shard's tokens after the last layer (S_i may be 0).</summary>
    public async Task<Tensor> RunAsync(long[] ids, long[] positions, SequenceStrategy strategy)
    {
        _run = PositionRun.Of(positions);
        if (positions.Length > 0) _lastPosition = positions[^1];
        var x = await Run(() => model.Embed(tensor(ids)));
        var pos = await Run(() => tensor(positions).to(model.Device));
        var (cos, sin, cosLocal, sinLocal) = await Run(() => model.RopeTables(pos));
        try
        {
            for (var layer = 0; layer < model.Slice.LayerCount; layer++)
            {
                var l = layer;
                var (q, own) = await Run(() => model.RotatesLocally(l) ? Project(l, x, cosLocal, sinLocal, pos) : Project(l, x, cos, sin, pos));
                using var attention = strategy == SequenceStrategy.Runahead
                    ? await RunaheadLayer(l, q, own, pos)
                    : await RingLayer(l, q, own, pos);
                var before = x;
                x = await Run(() =>
                {
                    using var scope = NewDisposeScope();
                    return model.MlpBlock(l, model.FinishAttention(l, before, attention.Output)).MoveToOuterDisposeScope();
                });
                before.Dispose();
                q.Dispose();
            }
            return x;
        }
        finally
        {
            foreach (var t in new[] { cos, sin, cosLocal, sinLocal }.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>()) t.Dispose();
            pos.Dispose();
        }
    }

    /// <summary>q [H, S, D] and this shard's KV block, which is also appended to its cache.</summary>
    private (Tensor, KvBlock) Project(int layer, Tensor x, Tensor cos, Tensor sin, Tensor pos)
    {
        var (q, k, v) = model.Project(layer, x, cos, sin);
        cache[layer].Append(k, v, pos);
        return (q, new KvBlock(k, v, pos.clone(), _run));
    }

    private async Task<PartialAttention> RingLayer(int layer, Tensor q, KvBlock own, Tensor pos)
    {
        PartialAttention? acc = null;
        var block = own;
        for (var step = 0; step < shards; step++)
        {
            var current = block;
            var send = step < shards - 1 ? exchange.SendAsync((shard + 1) % shards, layer, step, current) : Task.CompletedTask;
            var previous = acc;
            acc = await Run(() => Accumulate(layer, previous, q, current, pos));
            if (step < shards - 1) block = await exchange.ReceiveAsync(layer, step);
            await send;
            current.Dispose();
        }
        return acc!;
    }

    private async Task<PartialAttention> RunaheadLayer(int layer, Tensor q, KvBlock own, Tensor pos)
    {
        using var prefix = shard > 0 ? await exchange.ReceiveAsync(layer, 0) : null;
        var grown = own;
        var send = Task.CompletedTask;
        if (shard < shards - 1)
        {
            // Forward the grown prefix first, so the next shard starts this layer while we compute it.
            grown = prefix is null ? own : await Run(() => prefix.Concat(own));
            send = exchange.SendAsync(shard + 1, layer, 0, grown);
        }
        var acc = await Run(() => Accumulate(layer, null, q, own, pos));
        if (prefix is not null) acc = await Run(() => Accumulate(layer, acc, q, prefix, pos));
        await send;
        if (!ReferenceEquals(grown, own)) grown.Dispose();
        own.Dispose();
        return acc;
    }

    /// <summary>Merges attention over one more block; blocks wholly after every query (causal) are skipped.</summary>
    private PartialAttention Accumulate(int layer, PartialAttention? acc, Tensor q, KvBlock block, Tensor pos)
    {
        if (q.shape[1] == 0 || block.Length == 0 || (acc is not null && block.FirstPosition > _lastPosition))
            return acc ?? PartialAttention.Empty(q);
        var (window, softcap) = model.AttentionKind(layer);
        var part = AttentionKernels.Partial(q, block.Keys, block.Values, pos, block.Positions, _run, block.Run, window, softcap);
        if (acc is null) return part;
        var merged = PartialAttention.Merge(acc, part);
        acc.Dispose();
        part.Dispose();
        return merged;
    }

    private Task<T> Run<T>(Func<T> work) => runner.Run(() =>
    {
        _busy.Start();
        try
        {
            var result = work();
            // GPU kernels run after their launch returns: wait for them, or busy time would count launches only and
            // KV-Runahead would fit its partitions to noise.
            if (model.Device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize(model.Device);
            return result;
        }
        finally { _busy.Stop(); }
    });
}

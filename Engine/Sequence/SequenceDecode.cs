using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Sequence;

/// <summary>
/// A decode step over a KV cache spread across shards: the shard that takes the new token runs the layers, sends each
/// layer's query to the other shards, merges their partial attention (output and log-sum-exp) with its own, and keeps
/// the new token's KV.
/// </summary>
public static class SequenceDecode
{
    /// <summary>The logits [V] of <paramref name="tokenId"/> at <paramref name="position"/>.</summary>
    public static async Task<Tensor> StepAsync(ShardModel model, KvCache cache, long tokenId, long position,
        Func<int, Tensor, Task<IReadOnlyList<PartialAttention>>> remote, IComputeRunner run)
    {
        var x = await run.Run(() => model.Embed(tensor(new[] { tokenId })));
        var pos = await run.Run(() => tensor(new[] { position }).to(model.Device));
        var (cos, sin) = await run.Run(() => model.Rope.Tables(pos, model.DType));
        try
        {
            for (var layer = 0; layer < model.Slice.LayerCount; layer++)
            {
                var l = layer;
                var (q, local) = await run.Run(() =>
                {
                    var (qq, k, v) = model.Project(l, x, cos, sin);
                    using (k) using (v) cache[l].Append(k, v, pos);
                    return (qq, Attend(cache[l], qq));
                });
                var others = await remote(l, q);
                var before = x;
                x = await run.Run(() =>
                {
                    using var scope = NewDisposeScope();
                    var acc = others.Aggregate(local, PartialAttention.Merge);
                    return model.MlpBlock(l, model.FinishAttention(l, before, acc.Output)).MoveToOuterDisposeScope();
                });
                foreach (var p in others.Append(local)) p.Dispose();
                before.Dispose();
                q.Dispose();
            }
            return await run.Run(() => { using (x) return model.Logits(x).squeeze(0L); });
        }
        finally
        {
            cos.Dispose();
            sin.Dispose();
            pos.Dispose();
        }
    }

    /// <summary>
    /// This shard's part of a query's attention: over every entry of its cache for that layer. Decode queries are the
    /// newest position, so every cached key is visible and no mask is needed.
    /// </summary>
    public static PartialAttention Attend(LayerKvCache cache, Tensor q) => AttentionKernels.Full(q, cache.Keys, cache.Values);
}

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
        var (cos, sin, cosLocal, sinLocal) = await run.Run(() => model.RopeTables(pos));
        try
        {
            for (var layer = 0; layer < model.Slice.LayerCount; layer++)
            {
                var l = layer;
                var (q, local) = await run.Run(() =>
                {
                    var (qq, k, v) = model.RotatesLocally(l) ? model.Project(l, x, cosLocal, sinLocal) : model.Project(l, x, cos, sin);
                    using (k) using (v) cache[l].Append(k, v, pos);
                    return (qq, Attend(model, l, cache[l], qq, position));
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
            foreach (var t in new[] { cos, sin, cosLocal, sinLocal }.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>()) t.Dispose();
            pos.Dispose();
        }
    }

    /// <summary>
    /// This shard's part of a query's attention: over every entry of its cache for layer <paramref name="layer"/>. A
    /// decode query is the newest position, so every cached key is visible, unless the layer slides (keys before its
    /// window are hidden) or caps its scores.
    /// </summary>
    public static PartialAttention Attend(ShardModel model, int layer, LayerKvCache cache, Tensor q, long position)
    {
        var (window, softcap) = model.AttentionKind(layer);
        if (window == 0 && softcap == 0) return AttentionKernels.Full(q, cache.Keys, cache.Values);
        if (cache.Length == 0) return PartialAttention.Empty(q);
        using var qPos = tensor(new[] { position }).to(q.device);
        return AttentionKernels.Masked(q, cache.Keys, cache.Values, qPos, cache.Positions, window, softcap);
    }
}

using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>The tensor work of a step, as functions the device executor runs (no Orleans here, no awaits).</summary>
internal static class StageCompute
{
    /// <summary>The stage's input as hidden states [S, hidden] on the shard's device.</summary>
    public static Tensor Input(ShardModel model, StepInput input)
    {
        if (input.Hidden is { } hidden) return TensorWire.FromBytes(hidden, model.Device).to(model.DType);
        if (input.Ids is not { Length: > 0 } ids) throw new OlmException("a step needs token ids or hidden states");
        using var t = tensor(ids.Select(i => (long)i).ToArray());
        return model.Embed(t);
    }

    /// <summary>All of this shard's layers at once (it holds every head and FFN column of them).</summary>
    public static Tensor WholeLayers(ShardModel model, RequestState state, Tensor x)
    {
        using (x) return model.ForwardLayers(x, state.Cache);
    }

    /// <summary>RoPE tables and positions for the next S tokens of the request.</summary>
    public static (Tensor Cos, Tensor Sin, Tensor Positions) Rope(ShardModel model, RequestState state, long tokens)
    {
        var start = state.Cache.Length;
        var positions = arange(start, start + tokens, ScalarType.Int64, model.Device);
        var (cos, sin) = model.Rope.Tables(positions, model.DType);
        return (cos, sin, positions);
    }

    public static TensorBytes AttentionPartial(ShardModel model, RequestState state, int layer, Tensor x,
        (Tensor Cos, Tensor Sin, Tensor Positions) rope)
    {
        using var partial = model.Layers[layer].Attention(x, state.Cache[layer], rope.Cos, rope.Sin, rope.Positions);
        return TensorWire.ToBytes(partial);
    }

    public static TensorBytes MlpPartial(ShardModel model, int layer, Tensor x)
    {
        using var partial = model.Layers[layer].Mlp(x);
        return TensorWire.ToBytes(partial);
    }

    /// <summary>x + the all-reduced sum, in place of x.</summary>
    public static Tensor AddSum(ShardModel model, Tensor x, TensorBytes sum)
    {
        using (x)
        using (var s = TensorWire.FromBytes(sum, model.Device))
            return x.add(s.to(x.dtype));
    }

    /// <summary>The sum of the ranks' partials in rank order, in float32, on the summing shard's device.</summary>
    public static TensorBytes Sum(TensorBytes[] partials, Device device)
    {
        using var scope = NewDisposeScope();
        var first = TensorWire.FromBytes(partials[0], device);
        var total = first.to(ScalarType.Float32);
        foreach (var p in partials.Skip(1)) total = total.add(TensorWire.FromBytes(p, device).to(ScalarType.Float32));
        return TensorWire.ToBytes(total.to(first.dtype));
    }

    /// <summary>The last stage's output: logits of the last position, or the summed −log p of the targets.</summary>
    public static TensorBytes Output(ShardModel model, Tensor x, int[]? targets)
    {
        using var scope = NewDisposeScope();
        if (targets is null)
            return TensorWire.ToBytes(model.Logits(x.narrow(0, x.shape[0] - 1, 1)).squeeze(0L)).EnsureSendable();
        var scored = Math.Min(targets.Length, (int)x.shape[0]);
        var logProbs = model.Logits(x.narrow(0, 0, scored)).to(ScalarType.Float64).log_softmax(-1);
        var t = tensor(targets.Take(scored).Select(i => (long)i).ToArray()).to(logProbs.device).unsqueeze(1);
        return TensorWire.ToBytes(logProbs.gather(1, t).sum().neg());
    }

    /// <summary>
    /// A vocabulary slice's share of the output: its logits of the last position, or, when scoring, [S, 2] holding each
    /// position's log-sum-exp over the slice and the target's logit (−inf where the target lies in another slice).
    /// </summary>
    public static TensorBytes HeadPartial(ShardModel model, Tensor x, int[]? targets)
    {
        using var scope = NewDisposeScope();
        if (targets is null)
            return TensorWire.ToBytes(model.Logits(x.narrow(0, x.shape[0] - 1, 1)).squeeze(0L)).EnsureSendable();
        var scored = Math.Min(targets.Length, (int)x.shape[0]);
        var logits = model.Logits(x.narrow(0, 0, scored)).to(ScalarType.Float64);      // [S, v]
        var (v0, v1) = model.Slice.VocabRange(model.Config);
        var local = tensor(targets.Take(scored).Select(t => t >= v0 && t < v1 ? (long)(t - v0) : 0L).ToArray()).to(logits.device);
        var mine = tensor(targets.Take(scored).Select(t => t >= v0 && t < v1).ToArray()).to(logits.device);
        var target = logits.gather(1, local.unsqueeze(1)).squeeze(1).masked_fill(mine.logical_not(), double.NegativeInfinity);
        return TensorWire.ToBytes(stack([logits.logsumexp(1), target], 1));
    }

    /// <summary>The full output from every rank's head share, in rank order.</summary>
    public static TensorBytes CombineHeads(TensorBytes[] parts, bool scoring)
    {
        using var scope = NewDisposeScope();
        var tensors = parts.Select(p => TensorWire.FromBytes(p)).ToArray();
        if (!scoring) return TensorWire.ToBytes(cat(tensors, -1));
        var all = stack(tensors, 0);                                                    // [R, S, 2]
        var lse = all.select(2, 0).logsumexp(0);
        var target = all.select(2, 1).amax([0L]);
        return TensorWire.ToBytes(lse.sub(target).sum());
    }

    public static TensorBytes Hidden(Tensor x) => TensorWire.ToBytes(x).EnsureSendable();
}

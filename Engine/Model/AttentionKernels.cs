using TorchSharp;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// Partial attention of a block of queries over a block of keys with causal masking by global position, returning the
/// output and log-sum-exp (float32) that <see cref="PartialAttention.Merge"/> combines across blocks. Blocks whose
/// positions are regular runs with one step (contiguous slices, stripes) reduce to at most three fused kernels:
/// all-visible, a causal square, and rows that see nothing; anything else takes the general masked kernel.
/// </summary>
public static class AttentionKernels
{
    /// <summary>
    /// Attention of q [H, Sq, D] at positions <paramref name="qPos"/> over k, v [KV, Sk, D] at <paramref name="kPos"/>;
    /// the runs describe the same positions on the host. A sliding layer (<paramref name="window"/> > 0) or soft-capped
    /// scores take the general masked kernel.
    /// </summary>
    public static PartialAttention Partial(Tensor q, Tensor k, Tensor v, Tensor qPos, Tensor kPos, PositionRun qRun,
        PositionRun kRun, long window = 0, double softcap = 0)
    {
        if (window > 0 || softcap > 0) return Masked(q, k, v, qPos, kPos, window, softcap);
        var offset = PositionRun.VisibilityOffset(qRun, kRun);
        return offset is { } o ? Banded(q, k, v, o) : Masked(q, k, v, qPos, kPos);
    }

    /// <summary>Every key visible to every query (a decode query over earlier tokens, a block wholly before).</summary>
    public static PartialAttention Full(Tensor q, Tensor k, Tensor v)
    {
        // The fused kernels do not take empty operands (a shard that holds no token of the prompt yet).
        if (q.shape[1] == 0 || k.shape[1] == 0) return PartialAttention.Empty(q);
        var (output, lse) = Layers.LayerCalls.PartialFull(q, k, v);
        return new PartialAttention(output, lse);
    }

    /// <summary>Key b visible to query a when b ≤ a + offset.</summary>
    internal static PartialAttention Banded(Tensor q, Tensor k, Tensor v, long offset)
    {
        var (sq, sk) = (q.shape[1], k.shape[1]);
        if (sq == 0 || sk == 0 || sq - 1 + offset < 0) return PartialAttention.Empty(q);
        if (offset >= sk - 1) return Full(q, k, v);
        using var scope = NewDisposeScope();
        if (offset > 0)
        {
            // The first `offset` keys are visible to every query; the rest form a band with offset 0.
            using var early = Full(q, k.narrow(1, 0, offset), v.narrow(1, 0, offset));
            using var late = Banded(q, k.narrow(1, offset, sk - offset), v.narrow(1, offset, sk - offset), 0);
            return Detached(PartialAttention.Merge(early, late));
        }
        var blind = -offset;                          // rows before this one see no key
        var square = Math.Min(sq - blind, sk);        // rows that see a causal prefix of the keys
        var parts = new List<PartialAttention>();
        if (blind > 0) parts.Add(PartialAttention.Empty(q.narrow(1, 0, blind)));
        var (o, lse) = Layers.LayerCalls.PartialCausal(q.narrow(1, blind, square), k.narrow(1, 0, square), v.narrow(1, 0, square));
        parts.Add(new PartialAttention(o, lse));
        var rest = sq - blind - square;               // rows past the last key see all of them
        if (rest > 0) parts.Add(Full(q.narrow(1, blind + square, rest), k, v));
        var joined = new PartialAttention(cat(parts.Select(p => p.Output).ToArray(), 1), cat(parts.Select(p => p.Lse).ToArray(), 1));
        return Detached(joined);
    }

    private static PartialAttention Detached(PartialAttention p)
    {
        p.Output.MoveToOuterDisposeScope();
        p.Lse.MoveToOuterDisposeScope();
        return p;
    }

    /// <summary>
    /// Any positions: an explicit float32 score matrix with a mask, for blocks that are not regular runs. Key b is
    /// visible to query a when pos(b) ≤ pos(a), and within a sliding window when pos(a) − pos(b) &lt; window; soft-capped
    /// scores are cap·tanh(s/cap) before the mask (Gemma 2).
    /// </summary>
    internal static PartialAttention Masked(Tensor q, Tensor k, Tensor v, Tensor qPos, Tensor kPos, long window = 0, double softcap = 0)
    {
        using var scope = NewDisposeScope();
        var (heads, sq, d) = (q.shape[0], q.shape[1], q.shape[2]);
        var kvHeads = k.shape[0];
        var group = heads / kvHeads;
        using var scale = (1.0 / Math.Sqrt(d)).ToScalar();
        var q32 = q.to(ScalarType.Float32).reshape(kvHeads, group * sq, d);              // [KV, G*Sq, D]
        var scores = matmul(q32, k.to(ScalarType.Float32).transpose(1, 2))              // [KV, G*Sq, Sk]
            .mul(scale).view(kvHeads, group, sq, -1);                                   // [KV, G, Sq, Sk]
        if (softcap > 0)
        {
            using var cap = softcap.ToScalar();
            scores = scores.div(cap).tanh().mul(cap);
        }
        var distance = qPos.unsqueeze(1).sub(kPos.unsqueeze(0));                        // [Sq, Sk]
        var visible = distance.ge(Scalars.Zero);
        if (window > 0)
        {
            using var w = window.ToScalar();
            visible = visible.logical_and(distance.lt(w));
        }
        scores = scores.masked_fill(visible.logical_not(), Scalars.NegativeInfinity);
        var lse = scores.logsumexp(-1, keepdim: true);                                   // [KV, G, Sq, 1]
        var probs = scores.sub(lse).exp().nan_to_num(0.0);                               // rows with no key: 0
        var output = matmul(probs.view(kvHeads, group * sq, -1), v.to(ScalarType.Float32))
            .view(heads, sq, d);                                                         // [H, Sq, D]
        return new PartialAttention(output.MoveToOuterDisposeScope(),
            lse.view(heads, sq).MoveToOuterDisposeScope());
    }
}

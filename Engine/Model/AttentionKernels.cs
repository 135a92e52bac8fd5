using TorchSharp;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>Grouped-query attention with causal masking by global position.</summary>
public static class AttentionKernels
{
    /// <summary>
    /// Attention of queries q [H, Sq, D] at global positions qPos [Sq] over keys/values k, v [KV, Sk, D] at global
    /// positions kPos [Sk]; a key is visible when its position is at most the query's. Returns the output and the
    /// log-sum-exp in float32 so partial results over different key blocks can be merged.
    /// </summary>
    public static PartialAttention Partial(Tensor q, Tensor k, Tensor v, Tensor qPos, Tensor kPos)
    {
        using var scope = NewDisposeScope();
        var (heads, sq, d) = (q.shape[0], q.shape[1], q.shape[2]);
        var kvHeads = k.shape[0];
        var group = heads / kvHeads;
        using var scale = (1.0 / Math.Sqrt(d)).ToScalar();
        var q32 = q.to(ScalarType.Float32).reshape(kvHeads, group * sq, d);              // [KV, G*Sq, D]
        var scores = matmul(q32, k.to(ScalarType.Float32).transpose(1, 2))              // [KV, G*Sq, Sk]
            .mul(scale).view(kvHeads, group, sq, -1);                                   // [KV, G, Sq, Sk]
        var visible = kPos.unsqueeze(0).le(qPos.unsqueeze(1));                           // [Sq, Sk]
        scores = scores.masked_fill(visible.logical_not(), Scalars.NegativeInfinity);
        var lse = scores.logsumexp(-1, keepdim: true);                                   // [KV, G, Sq, 1]
        var probs = scores.sub(lse).exp().nan_to_num(0.0);                               // rows with no key: 0
        var output = matmul(probs.view(kvHeads, group * sq, -1), v.to(ScalarType.Float32))
            .view(heads, sq, d);                                                         // [H, Sq, D]
        return new PartialAttention(output.MoveToOuterDisposeScope(),
            lse.view(heads, sq).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Causal attention of the last Sq positions of a contiguous sequence over all Sk keys of it (keys at 0..Sk-1,
    /// queries at Sk-Sq..Sk-1): prefill, chunked prefill and decode on one shard. Uses the fused SDPA kernel.
    /// </summary>
    public static Tensor Causal(Tensor q, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        var (heads, sq, d) = (q.shape[0], q.shape[1], q.shape[2]);
        var (kvHeads, sk) = (k.shape[0], k.shape[1]);
        var group = heads / kvHeads;
        Tensor output;
        if (sq == 1)
        {
            // One query sees every key: fold the query heads of a group into the sequence axis, no KV expansion.
            var folded = q.view(kvHeads, group, d).unsqueeze(0);                         // [1, KV, G, D]
            output = nn.functional.scaled_dot_product_attention(folded, k.unsqueeze(0), v.unsqueeze(0))
                .view(heads, 1, d);
        }
        else
        {
            var kx = group == 1 ? k : k.repeat_interleave(group, 0);                     // [H, Sk, D]
            var vx = group == 1 ? v : v.repeat_interleave(group, 0);
            var mask = sq == sk ? null : ones(sq, sk, ScalarType.Bool, q.device).tril(sk - sq);
            output = nn.functional.scaled_dot_product_attention(
                q.unsqueeze(0), kx.unsqueeze(0), vx.unsqueeze(0), mask, 0.0, is_casual: sq == sk).squeeze(0);
        }
        return output.MoveToOuterDisposeScope();
    }
}

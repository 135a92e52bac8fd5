using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

/// <summary>The pieces of a Llama layer the float64 references compute with plain tensor ops (no engine code).</summary>
public static class Float64Layers
{
    public static Tensor Norm(Tensor x, Tensor w, double eps) => x.mul(x.pow(2).mean([1], keepdim: true).add(eps).rsqrt()).mul(w);

    /// <summary>[S, H·D] → [H, S, D] with RoPE (rotate-half).</summary>
    public static Tensor Heads(Tensor x, int heads, int d, Tensor cos, Tensor sin)
    {
        var t = x.view(x.shape[0], heads, d).transpose(0, 1);
        var rotated = cat([t.narrow(2, d / 2, d / 2).neg(), t.narrow(2, 0, d / 2)], 2);
        return t.mul(cos).add(rotated.mul(sin));
    }

    /// <summary>Causal attention of [H, S, D] queries over grouped keys and values: [S, H·D].</summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, int group)
    {
        var (kk, vv) = (k.repeat_interleave(group, 0), v.repeat_interleave(group, 0));
        var s = q.shape[1];
        var scores = q.matmul(kk.transpose(1, 2)).div(Math.Sqrt(q.shape[2]));
        var mask = ones(s, s, dtype: ScalarType.Bool).triu(1);
        var o = scores.masked_fill(mask, double.NegativeInfinity).softmax(-1).matmul(vv);
        return o.transpose(0, 1).reshape(s, q.shape[0] * q.shape[2]);
    }
}

using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Quantization;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace OrleansLlm.Tests.Int8;

/// <summary>
/// LLM.int8() in float64, written apart from the engine's kernels: a linear (outlier columns of the activation in
/// float, the rest quantized per token and multiplied as integers, exact in float64) and a whole Llama/Qwen2 forward
/// over one sequence whose linears are those, with weights quantized per row.
/// </summary>
public static class Int8Reference
{
    /// <summary>x [M, K] · dequantized(q)ᵀ + b in float64 (q [N, K] int8, s [N] its row scales).</summary>
    public static Tensor Linear(Tensor x, Tensor q, Tensor s, Tensor? b, double threshold)
    {
        using var scope = NewDisposeScope();
        var x64 = x.to(ScalarType.Float64);
        var w = q.to(ScalarType.Float64);
        var rowScale = s.to(ScalarType.Float64);
        var outlier = x64.abs().ge(threshold).any(0);                                   // [K] columns
        var regular = x64.masked_fill(outlier.unsqueeze(0), 0.0);
        var sx = regular.abs().amax([1], keepdim: true).clamp_min(1e-12).div(127.0);   // [M, 1]
        var y = regular.div(sx).round().matmul(w.t()).mul(sx).mul(rowScale.unsqueeze(0));
        var cols = outlier.nonzero().squeeze(1);
        if (cols.numel() > 0)
            y = y.add(x64.index_select(1, cols).matmul(w.index_select(1, cols).mul(rowScale.unsqueeze(1)).t()));
        if (b is not null) y = y.add(b.to(ScalarType.Float64));
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Logits [S, V] (float64) of a sequence through the whole model with int8 linears.</summary>
    public static Tensor Logits(string dir, long[] ids, double threshold)
    {
        using var scope = NewDisposeScope();
        var c = ModelConfig.Load(dir);
        using var file = new SafeTensorsFile(Path.Combine(dir, "model.safetensors"));
        Tensor W(string name) => file.Read(name).to(ScalarType.Float64);
        Tensor? B(string name) => c.QkvBias && name.Contains("_proj.bias") ? W(name) : null;
        Tensor Lin(Tensor x, string p, bool bias = false)
        {
            var (q, s) = Int8Weights.Quantize(file.Read(p + ".weight"));
            return Linear(x, q, s, bias ? B(p + ".bias") : null, threshold);
        }
        var h = W("model.embed_tokens.weight").index_select(0, tensor(ids));
        using var rope = new RotaryEmbedding(c, CPU);
        var (cos, sin) = rope.Tables(arange(ids.Length, ScalarType.Int64), ScalarType.Float64);
        for (var l = 0; l < c.NumLayers; l++)
        {
            var p = $"model.layers.{l}.";
            var a = Norm(h, W(p + "input_layernorm.weight"), c.RmsNormEps);
            var q = Heads(Lin(a, p + "self_attn.q_proj", true), c.NumHeads, c.HeadDim, cos, sin);
            var k = Heads(Lin(a, p + "self_attn.k_proj", true), c.NumKvHeads, c.HeadDim, cos, sin);
            var v = Lin(a, p + "self_attn.v_proj", true).view(ids.Length, c.NumKvHeads, c.HeadDim).transpose(0, 1);
            h = h.add(Lin(Attention(q, k, v, c.GroupSize), p + "self_attn.o_proj"));
            var m = Norm(h, W(p + "post_attention_layernorm.weight"), c.RmsNormEps);
            h = h.add(Lin(F.silu(Lin(m, p + "mlp.gate_proj")).mul(Lin(m, p + "mlp.up_proj")), p + "mlp.down_proj"));
        }
        var head = c.TieWordEmbeddings ? W("model.embed_tokens.weight") : W("lm_head.weight");
        return Norm(h, W("model.norm.weight"), c.RmsNormEps).matmul(head.t()).MoveToOuterDisposeScope();
    }

    private static Tensor Norm(Tensor x, Tensor w, double eps) => x.mul(x.pow(2).mean([1], keepdim: true).add(eps).rsqrt()).mul(w);

    /// <summary>[S, H·D] → [H, S, D] with RoPE (rotate-half).</summary>
    private static Tensor Heads(Tensor x, int heads, int d, Tensor cos, Tensor sin)
    {
        var t = x.view(x.shape[0], heads, d).transpose(0, 1);
        var rotated = cat([t.narrow(2, d / 2, d / 2).neg(), t.narrow(2, 0, d / 2)], 2);
        return t.mul(cos).add(rotated.mul(sin));
    }

    private static Tensor Attention(Tensor q, Tensor k, Tensor v, int group)
    {
        var (kk, vv) = (k.repeat_interleave(group, 0), v.repeat_interleave(group, 0));
        var s = q.shape[1];
        var scores = q.matmul(kk.transpose(1, 2)).div(Math.Sqrt(q.shape[2]));
        var mask = ones(s, s, dtype: ScalarType.Bool).triu(1);
        var o = scores.masked_fill(mask, double.NegativeInfinity).softmax(-1).matmul(vv);   // [H, S, D]
        return o.transpose(0, 1).reshape(s, q.shape[0] * q.shape[2]);
    }
}

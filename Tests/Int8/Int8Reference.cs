using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Quantization;
using static OrleansLlm.Tests.Engine.Float64Layers;
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

    /// <summary>
    /// llm.npu's static int8 in float64: x at the per-tensor scale a, clamped to the int8 range and rounded, multiplied
    /// as integers; with a shadow, the clipped remainder (v − clamp(v))·a of the linear's outlier channels times their
    /// dequantized weight columns is added back.
    /// </summary>
    public static Tensor StaticLinear(Tensor x, Tensor q, Tensor s, Tensor? b, StaticLinear plan)
    {
        using var scope = NewDisposeScope();
        var (w, rowScale) = (q.to(ScalarType.Float64), s.to(ScalarType.Float64));
        var v = x.to(ScalarType.Float64).div(plan.Scale);
        var clipped = v.clamp(-128.0, 127.0);
        var y = clipped.round().matmul(w.t()).mul(plan.Scale).mul(rowScale.unsqueeze(0));
        if (plan.Shadowed)
        {
            var cols = tensor(plan.Channels);
            var remainder = v.sub(clipped).mul(plan.Scale).index_select(1, cols);
            y = y.add(remainder.matmul(w.index_select(1, cols).mul(rowScale.unsqueeze(1)).t()));
        }
        if (b is not null) y = y.add(b.to(ScalarType.Float64));
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Logits [S, V] (float64) of a sequence through the whole model with int8 linears: LLM.int8() at the threshold, or
    /// static int8 as a calibration <paramref name="plan"/> decided it (qkv, o, gate-up, down per layer).
    /// </summary>
    public static Tensor Logits(string dir, long[] ids, double threshold, StaticPlan? plan = null)
    {
        using var scope = NewDisposeScope();
        var c = ModelConfig.Load(dir);
        using var file = new SafeTensorsFile(Path.Combine(dir, "model.safetensors"));
        Tensor W(string name) => file.Read(name).to(ScalarType.Float64);
        Tensor? B(string name) => c.QkvBias && name.Contains("_proj.bias") ? W(name) : null;
        var layer = 0;
        Tensor Lin(Tensor x, string p, bool bias = false)
        {
            var (q, s) = Int8Weights.Quantize(file.Read(p + ".weight"));
            var b = bias ? B(p + ".bias") : null;
            if (plan is null) return Linear(x, q, s, b, threshold);
            var k = p.Contains("o_proj") ? 1 : p.Contains("down") ? 3 : p.Contains("mlp") ? 2 : 0;  // q, k and v share qkv's input
            return StaticLinear(x, q, s, b, plan.Linears[4 * layer + k]);
        }
        var h = W("model.embed_tokens.weight").index_select(0, tensor(ids));
        using var rope = new RotaryEmbedding(c, CPU);
        var (cos, sin) = rope.Tables(arange(ids.Length, ScalarType.Int64), ScalarType.Float64);
        for (var l = 0; l < c.NumLayers; l++, layer++)
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
}

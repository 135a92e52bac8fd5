using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>
/// The tensor names of the Llama-style checkpoints most families ship (<c>model.layers.N.self_attn.q_proj.weight</c>,
/// <c>mlp.gate_proj</c>...), cut to a shard's slice: q, k and v of its KV-head groups fused (their query heads with
/// them), o_proj's matching columns; gate and up of its FFN columns fused, down_proj's matching columns. Row-parallel
/// biases (o_proj, down_proj) are added once, by the slice that starts at 0. Families say which optional tensors they
/// have; a checkpoint that fuses q/k/v or gate/up (Phi-3) names the fused tensor, whose rows the slice takes. Norm
/// weights are read as (w + NormWeightOffset), and the attention scale is folded into the queries (their rows, or
/// their per-head norm where the family has one).
/// </summary>
internal static class LlamaNames
{
    public static AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer, bool qkvBias, bool outputBias, bool headNorms = false,
        string postNorm = "", string? fusedQkv = null)
    {
        var p = $"model.layers.{layer}.";
        var (h, d) = ((long)c.HiddenSize, (long)c.HeadDim);
        var qRows = new Range(s.KvHeadStart * c.GroupSize * (int)d, s.KvHeadEnd * c.GroupSize * (int)d);
        var kvRows = new Range(s.KvHeadStart * (int)d, s.KvHeadEnd * (int)d);
        var (qShape, kvShape) = (new[] { c.NumHeads * d, h }, new[] { c.NumKvHeads * d, h });
        var (shift, ratio) = (c.NormWeightOffset, c.QueryScaleRatio);
        var qScale = headNorms ? 1.0 : ratio;
        Piece[] Norm(string name) => [new(p + name + ".weight", [h], Shift: shift)];
        Piece[] Qkv(string suffix, bool weight)
        {
            long[] Shape(long rows) => weight ? [rows, h] : [rows];
            if (fusedQkv is null)
                return [new(p + "self_attn.q_proj." + suffix, Shape(c.NumHeads * d), qRows, Scale: qScale),
                        new(p + "self_attn.k_proj." + suffix, Shape(c.NumKvHeads * d), kvRows),
                        new(p + "self_attn.v_proj." + suffix, Shape(c.NumKvHeads * d), kvRows)];
            var (qs, ks) = ((int)(c.NumHeads * d), (int)(c.NumKvHeads * d));
            var name = p + fusedQkv + "." + suffix;
            var all = Shape(qs + 2L * ks);
            return [new(name, all, Shifted(qRows, 0), Scale: qScale), new(name, all, Shifted(kvRows, qs)), new(name, all, Shifted(kvRows, qs + ks))];
        }
        return new AttnRecipe(
            Norm("input_layernorm"),
            Qkv("weight", true),
            qkvBias ? Qkv("bias", false) : null,
            headNorms ? [new(p + "self_attn.q_norm.weight", [d], Shift: shift, Scale: ratio)] : null,
            headNorms ? [new(p + "self_attn.k_norm.weight", [d], Shift: shift)] : null,
            [new(p + "self_attn.o_proj.weight", [h, c.NumHeads * d], Cols: qRows)],
            outputBias && s.OwnsOutputBias ? [new(p + "self_attn.o_proj.bias", [h])] : null,
            postNorm.Length > 0 ? Norm(postNorm) : null);
    }

    public static MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer, bool bias, string inNorm = "post_attention_layernorm",
        string postNorm = "", string? fusedGateUp = null)
    {
        var p = $"model.layers.{layer}.";
        var (h, f) = ((long)c.HiddenSize, (long)c.IntermediateSize);
        var ffn = new Range(s.FfnStart, s.FfnEnd);
        Piece[] Norm(string name) => [new(p + name + ".weight", [h], Shift: c.NormWeightOffset)];
        Piece[] GateUp(string suffix, bool weight)
        {
            long[] Shape(long rows) => weight ? [rows, h] : [rows];
            if (fusedGateUp is null)
                return [new(p + "mlp.gate_proj." + suffix, Shape(f), ffn), new(p + "mlp.up_proj." + suffix, Shape(f), ffn)];
            var name = p + fusedGateUp + "." + suffix;
            return [new(name, Shape(2 * f), ffn), new(name, Shape(2 * f), Shifted(ffn, (int)f))];
        }
        return new MlpRecipe(
            Norm(inNorm),
            GateUp("weight", true),
            bias ? GateUp("bias", false) : null,
            [new(p + "mlp.down_proj.weight", [h, f], Cols: ffn)],
            bias && s.OwnsDownBias ? [new(p + "mlp.down_proj.bias", [h])] : null,
            postNorm.Length > 0 ? Norm(postNorm) : null);
    }

    private static Range Shifted(Range r, int by) => new(r.Start.Value + by, r.End.Value + by);
}

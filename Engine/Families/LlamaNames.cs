using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>
/// The tensor names of the Llama-style checkpoints most families ship (<c>model.layers.N.self_attn.q_proj.weight</c>,
/// <c>mlp.gate_proj</c>...), cut to a shard's slice: q, k and v of its KV-head groups fused (their query heads with
/// them), o_proj's matching columns; gate and up of its FFN columns fused, down_proj's matching columns. Row-parallel
/// biases (o_proj, down_proj) are added once, by the slice that starts at 0. Families say which optional tensors they
/// have.
/// </summary>
internal static class LlamaNames
{
    public static AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer, bool qkvBias, bool outputBias, bool headNorms = false,
        string postNorm = "")
    {
        var p = $"model.layers.{layer}.";
        var (h, d) = ((long)c.HiddenSize, (long)c.HeadDim);
        var qRows = new Range(s.KvHeadStart * c.GroupSize * (int)d, s.KvHeadEnd * c.GroupSize * (int)d);
        var kvRows = new Range(s.KvHeadStart * (int)d, s.KvHeadEnd * (int)d);
        var qShape = new[] { c.NumHeads * d, h };
        var kvShape = new[] { c.NumKvHeads * d, h };
        return new AttnRecipe(
            [new(p + "input_layernorm.weight", [h])],
            [new(p + "self_attn.q_proj.weight", qShape, qRows), new(p + "self_attn.k_proj.weight", kvShape, kvRows),
             new(p + "self_attn.v_proj.weight", kvShape, kvRows)],
            !qkvBias ? null :
            [new(p + "self_attn.q_proj.bias", [c.NumHeads * d], qRows), new(p + "self_attn.k_proj.bias", [c.NumKvHeads * d], kvRows),
             new(p + "self_attn.v_proj.bias", [c.NumKvHeads * d], kvRows)],
            headNorms ? [new(p + "self_attn.q_norm.weight", [d])] : null,
            headNorms ? [new(p + "self_attn.k_norm.weight", [d])] : null,
            [new(p + "self_attn.o_proj.weight", [h, c.NumHeads * d], Cols: qRows)],
            outputBias && s.OwnsOutputBias ? [new(p + "self_attn.o_proj.bias", [h])] : null,
            postNorm.Length > 0 ? [new(p + postNorm + ".weight", [h])] : null);
    }

    public static MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer, bool bias, string inNorm = "post_attention_layernorm",
        string postNorm = "")
    {
        var p = $"model.layers.{layer}.";
        var (h, f) = ((long)c.HiddenSize, (long)c.IntermediateSize);
        var ffn = new Range(s.FfnStart, s.FfnEnd);
        return new MlpRecipe(
            [new(p + inNorm + ".weight", [h])],
            [new(p + "mlp.gate_proj.weight", [f, h], ffn), new(p + "mlp.up_proj.weight", [f, h], ffn)],
            !bias ? null : [new(p + "mlp.gate_proj.bias", [f], ffn), new(p + "mlp.up_proj.bias", [f], ffn)],
            [new(p + "mlp.down_proj.weight", [h, f], Cols: ffn)],
            bias && s.OwnsDownBias ? [new(p + "mlp.down_proj.bias", [h])] : null,
            postNorm.Length > 0 ? [new(p + postNorm + ".weight", [h])] : null);
    }
}

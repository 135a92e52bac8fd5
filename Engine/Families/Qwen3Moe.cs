using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>
/// Qwen3-MoE: Qwen3's attention (q/k norms); a layer routes when it is not in mlp_only_layers and its number (from 1)
/// is a multiple of decoder_sparse_step, over num_experts experts of moe_intermediate_size neurons (top-k, renormalized
/// with norm_topk_prob); the other layers keep a dense MLP of intermediate_size.
/// </summary>
internal sealed class Qwen3Moe : IModelFamily
{
    public string Name => "qwen3-moe";
    public IReadOnlyList<string> Architectures => ["Qwen3MoeForCausalLM"];
    public string Examples => "Qwen3 30B-A3B, 235B-A22B";

    public ModelConfig Configure(ModelConfig common, JsonConfig json)
    {
        var bias = json.BoolOr("attention_bias", false);
        var dense = json.IntArray("mlp_only_layers").ToHashSet();
        var step = json.IntOr("decoder_sparse_step", 1);
        if (step < 1) throw new ModelConfigException($"{json.Source}: decoder_sparse_step must be 1 or more, got {step}");
        var experts = Experts.Read(json, common.NumLayers, json.Int("moe_intermediate_size"), json.BoolOr("norm_topk_prob", false),
            l => !dense.Contains(l) && (l + 1) % step == 0);
        return Windows.FromMaxWindowLayers(common, json) with { QkvBias = bias, OutputBias = bias, MlpBias = false, Experts = experts };
    }

    public AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer) =>
        LlamaNames.Attention(c, s, layer, c.QkvBias, c.OutputBias, headNorms: true);

    public MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer) =>
        c.Routes(layer) ? Experts.Mlp(c, s, layer, "mlp", ("gate_proj", "up_proj", "down_proj")) : LlamaNames.Mlp(c, s, layer, bias: false);
}

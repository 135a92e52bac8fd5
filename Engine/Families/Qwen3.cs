using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>
/// Qwen3 (dense): RMSNorm over each query and key head before RoPE, a head_dim of its own (not hidden / heads), biases
/// on q, k, v and o only with attention_bias, and Qwen2's sliding window rule.
/// </summary>
internal sealed class Qwen3 : IModelFamily
{
    public string Name => "qwen3";
    public IReadOnlyList<string> Architectures => ["Qwen3ForCausalLM"];
    public string Examples => "Qwen3 0.6B-32B";

    public ModelConfig Configure(ModelConfig common, JsonConfig json)
    {
        var bias = json.BoolOr("attention_bias", false);
        return Windows.FromMaxWindowLayers(common, json) with { QkvBias = bias, OutputBias = bias, MlpBias = false };
    }

    public AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer) =>
        LlamaNames.Attention(c, s, layer, c.QkvBias, c.OutputBias, headNorms: true);

    public MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer) => LlamaNames.Mlp(c, s, layer, bias: false);
}

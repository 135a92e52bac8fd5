using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>Llama 2, 3, 3.1, 3.2 (and SmolLM, TinyLlama, llama2.c exports): optional biases on attention and MLP.</summary>
internal sealed class Llama : IModelFamily
{
    public string Name => "llama";
    public IReadOnlyList<string> Architectures => ["LlamaForCausalLM"];
    public string Examples => "Llama 2, Llama 3.x, SmolLM2, TinyLlama, llama2.c exports";

    public ModelConfig Configure(ModelConfig common, JsonConfig json)
    {
        var bias = json.BoolOr("attention_bias", false);
        return common with { QkvBias = bias, OutputBias = bias, MlpBias = json.BoolOr("mlp_bias", false) };
    }

    public AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer) => LlamaNames.Attention(c, s, layer, c.QkvBias, c.OutputBias);

    public MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer) => LlamaNames.Mlp(c, s, layer, c.MlpBias);
}

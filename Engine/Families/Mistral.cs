using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>Mistral: Llama's layer; a sliding window (v0.1's 4096) applies to every layer when set.</summary>
internal sealed class Mistral : IModelFamily
{
    public string Name => "mistral";
    public IReadOnlyList<string> Architectures => ["MistralForCausalLM"];
    public string Examples => "Mistral 7B v0.1-v0.3, Mistral NeMo";

    public ModelConfig Configure(ModelConfig common, JsonConfig json) =>
        Windows.EveryLayer(common, json) with { QkvBias = false, OutputBias = false, MlpBias = false };

    public AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer) => LlamaNames.Attention(c, s, layer, false, false);

    public MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer) => LlamaNames.Mlp(c, s, layer, false);
}

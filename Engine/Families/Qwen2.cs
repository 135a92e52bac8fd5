using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>Qwen2 and Qwen2.5: biases on q, k and v (none on o_proj); a sliding window on the layers from max_window_layers on, with use_sliding_window.</summary>
internal sealed class Qwen2 : IModelFamily
{
    public string Name => "qwen2";
    public IReadOnlyList<string> Architectures => ["Qwen2ForCausalLM"];
    public string Examples => "Qwen2, Qwen2.5";

    public ModelConfig Configure(ModelConfig common, JsonConfig json) =>
        Windows.FromMaxWindowLayers(common, json) with { QkvBias = true, OutputBias = false, MlpBias = false };

    public AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer) => LlamaNames.Attention(c, s, layer, qkvBias: true, outputBias: false);

    public MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer) => LlamaNames.Mlp(c, s, layer, bias: false);
}

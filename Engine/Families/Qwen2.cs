using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>Qwen2 and Qwen2.5: biases on q, k and v (none on o_proj); a sliding window only with use_sliding_window.</summary>
internal sealed class Qwen2 : IModelFamily
{
    public string Name => "qwen2";
    public IReadOnlyList<string> Architectures => ["Qwen2ForCausalLM"];
    public string Examples => "Qwen2, Qwen2.5";

    public ModelConfig Configure(ModelConfig common, JsonConfig json)
    {
        if (json.BoolOr("use_sliding_window", false))
            Windows.RefuseShorterThanContext(common, json.IntOr("sliding_window", 0));
        return common with { QkvBias = true, OutputBias = false, MlpBias = false };
    }

    public AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer) => LlamaNames.Attention(c, s, layer, qkvBias: true, outputBias: false);

    public MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer) => LlamaNames.Mlp(c, s, layer, bias: false);
}

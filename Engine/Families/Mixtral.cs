using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>
/// Mixtral: Mistral's attention; every layer's MLP routes each token to its top-k of num_local_experts gated SiLU
/// experts (w1 gate, w3 up, w2 down), their softmax weights renormalized over the chosen k.
/// </summary>
internal sealed class Mixtral : IModelFamily
{
    public string Name => "mixtral";
    public IReadOnlyList<string> Architectures => ["MixtralForCausalLM"];
    public string Examples => "Mixtral 8x7B, 8x22B";

    public ModelConfig Configure(ModelConfig common, JsonConfig json) =>
        Windows.EveryLayer(common, json) with
        {
            QkvBias = false, OutputBias = false, MlpBias = false,
            Experts = Experts.Read(json, common.NumLayers, common.IntermediateSize, normTopK: true, _ => true),
        };

    public AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer) => LlamaNames.Attention(c, s, layer, false, false);

    public MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer) => Experts.Mlp(c, s, layer, "block_sparse_moe", ("w1", "w3", "w2"));
}

using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>
/// Phi-3, 3.5 and 4-mini: Llama's layer with q, k and v fused in one checkpoint tensor (qkv_proj) and gate and up in
/// another (gate_up_proj); a sliding window on every layer when the config sets one (transformers applies it so);
/// LongRoPE for the 128K variants (short factors up to original_max_position_embeddings, long ones beyond).
/// </summary>
internal sealed class Phi3 : IModelFamily
{
    public string Name => "phi3";
    public IReadOnlyList<string> Architectures => ["Phi3ForCausalLM"];
    public string Examples => "Phi-3 mini/medium (4K, 128K), Phi-3.5-mini (not Phi-4-mini: partial RoPE)";

    public ModelConfig Configure(ModelConfig common, JsonConfig json) =>
        Windows.EveryLayer(common, json) with { QkvBias = false, OutputBias = false, MlpBias = false };

    public AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer) =>
        LlamaNames.Attention(c, s, layer, false, false, fusedQkv: "self_attn.qkv_proj");

    public MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer) => LlamaNames.Mlp(c, s, layer, false, fusedGateUp: "mlp.gate_up_proj");
}

using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>
/// Gemma 2: four norms a layer (before and after attention, before and after the MLP), each multiplying by (1 + w);
/// GELU (tanh) gated MLP; embeddings times sqrt(hidden_size); attention scaled by query_pre_attn_scalar^-1/2, its
/// scores soft-capped where the config asks for eager attention (see below), the final logits always; sliding and global layers alternating (layer_types, or every other
/// layer from the first where a config predates them). Tied embeddings.
/// </summary>
internal sealed class Gemma2 : IModelFamily
{
    public string Name => "gemma2";
    public IReadOnlyList<string> Architectures => ["Gemma2ForCausalLM"];
    public string Examples => "Gemma 2 2B, 9B, 27B";

    public ModelConfig Configure(ModelConfig common, JsonConfig json) =>
        Gemma.Configure(common, json, slidingEvery: 2) with
        {
            // transformers caps the attention scores only in its eager (and flash-attn) attention; its default, SDPA,
            // leaves them uncapped (the final logits are capped either way). We follow the checkpoint: capped where
            // its config asks for eager attention, as transformers 5.17 computes it by default otherwise.
            AttentionSoftcap = EagerAttention(json) ? json.DoubleOr("attn_logit_softcapping", 0) : 0,
            FinalLogitSoftcap = json.DoubleOr("final_logit_softcapping", 0),
        };

    private static bool EagerAttention(JsonConfig json) =>
        (json.StringOr("attn_implementation", null) ?? json.StringOr("_attn_implementation", null)) == "eager";

    public AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer) => Gemma.Attention(c, s, layer, headNorms: false);

    public MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer) => Gemma.Mlp(c, s, layer);
}

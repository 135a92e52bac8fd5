using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>
/// Gemma 3 text: Gemma 2's layer with RMSNorm (1 + w) over each query and key head, no soft-capping, and local
/// (sliding) layers rotating with their own RoPE base (rope_local_base_freq, or rope_parameters.sliding_attention) while
/// global layers take rope_theta with its scaling; five local layers to one global unless layer_types says otherwise.
/// </summary>
internal sealed class Gemma3 : IModelFamily
{
    public string Name => "gemma3";
    public IReadOnlyList<string> Architectures => ["Gemma3ForCausalLM"];
    public string Examples => "Gemma 3 1B (text), and the text of 4B-27B saved as Gemma3ForCausalLM";

    public ModelConfig Configure(ModelConfig common, JsonConfig json)
    {
        var c = Gemma.Configure(common, json, slidingEvery: json.IntOr("sliding_window_pattern", json.IntOr("_sliding_window_pattern", 6)));
        if (json.DoubleOr("attn_logit_softcapping", 0) != 0 || json.DoubleOr("final_logit_softcapping", 0) != 0)
            throw new ModelConfigException($"{json.Source}: Gemma 3 with soft-capping is not supported");
        var local = c.LocalRope ?? new RopeConfig { Theta = 10000 };
        return c with
        {
            LocalRope = local,
            LayerRopes = c.LayerWindows.Count == 0 ? [] : c.LayerWindows.Select(w => w > 0 ? 1 : 0).ToArray(),
        };
    }

    public AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer) => Gemma.Attention(c, s, layer, headNorms: true);

    public MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer) => Gemma.Mlp(c, s, layer);
}

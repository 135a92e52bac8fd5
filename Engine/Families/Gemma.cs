using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>What Gemma 2 and Gemma 3 share: their config keys, norm names and (1 + w) norms.</summary>
internal static class Gemma
{
    public static ModelConfig Configure(ModelConfig common, JsonConfig json, int slidingEvery)
    {
        var window = json.IntOr("sliding_window", 0);
        var windows = common.LayerWindows.Count > 0 || json.Has("layer_types") || window <= 0 ? common.LayerWindows
            : Enumerable.Range(0, common.NumLayers).Select(i => (i + 1) % slidingEvery != 0 ? window : 0).ToArray();
        var bias = json.BoolOr("attention_bias", false);
        return common with
        {
            HiddenAct = json.StringOr("hidden_activation", null) ?? common.HiddenAct,
            LayerWindows = windows,
            NormWeightOffset = 1,
            EmbeddingScale = Math.Sqrt(common.HiddenSize),
            AttentionScale = 1.0 / Math.Sqrt(json.DoubleOr("query_pre_attn_scalar", common.HeadDim)),
            QkvBias = bias,
            OutputBias = bias,
            MlpBias = false,
            TieWordEmbeddings = json.BoolOr("tie_word_embeddings", true),
        };
    }

    public static AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer, bool headNorms) =>
        LlamaNames.Attention(c, s, layer, c.QkvBias, c.OutputBias, headNorms, postNorm: "post_attention_layernorm");

    public static MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer) =>
        LlamaNames.Mlp(c, s, layer, false, inNorm: "pre_feedforward_layernorm", postNorm: "post_feedforward_layernorm");
}

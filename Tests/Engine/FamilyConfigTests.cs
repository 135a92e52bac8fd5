using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

/// <summary>
/// What the families read of config.json where no fixture reaches (the fixtures use one RoPE base and default
/// scaling): LongRoPE's tables against transformers' formula in float64, Gemma 3's two RoPEs and local:global pattern,
/// Qwen2's use_sliding_window and Gemma 2's alternation where a config predates layer_types.
/// </summary>
public class FamilyConfigTests
{
    private static string Config(string architecture, int layers, string extra) => $$"""
        {
          "architectures": ["{{architecture}}"], "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48,
          "num_hidden_layers": {{layers}}, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
          "rms_norm_eps": 1e-6, {{extra}}
        }
        """;

    [Fact]
    public void LongRopeRotatesWithShortFactorsBeforeTheOriginalContextAndLongOnesFrom()
    {
        double[] shortF = [1.0, 1.5, 2.0, 3.0], longF = [2.0, 4.0, 8.0, 16.0];
        var c = ModelConfig.FromJson(Config("Phi3ForCausalLM", 2, $$"""
            "max_position_embeddings": 64, "original_max_position_embeddings": 16, "rope_theta": 10000.0,
            "rope_scaling": {"type": "longrope", "short_factor": [{{string.Join(", ", shortF)}}], "long_factor": [{{string.Join(", ", longF)}}]}
            """));
        using var rope = new RotaryEmbedding(c, CPU);
        long[] positions = [0, 5, 15, 16, 40, 63];
        var (cos, sin) = rope.Tables(tensor(positions), ScalarType.Float64);
        // transformers' _compute_longrope_parameters: factor = max / original, scale = sqrt(1 + ln(factor) / ln(original)).
        var scale = Math.Sqrt(1 + Math.Log(64.0 / 16) / Math.Log(16));
        for (var r = 0; r < positions.Length; r++)
            for (var i = 0; i < 8; i++)
            {
                var ext = positions[r] >= 16 ? longF : shortF;
                var inv = 1.0 / (ext[i % 4] * Math.Pow(10000.0, 2.0 * (i % 4) / 8));
                var angle = positions[r] * inv;
                Assert.InRange(Math.Abs(cos[r, i].item<double>() - scale * Math.Cos(angle)), 0, 1e-5);
                Assert.InRange(Math.Abs(sin[r, i].item<double>() - scale * Math.Sin(angle)), 0, 1e-5);
            }
    }

    [Fact]
    public void AnUnknownRopeTypeIsRefusedBeforeAnyWeight()
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelConfig.FromJson(Config("Phi3ForCausalLM", 2,
            """ "max_position_embeddings": 64, "rope_scaling": {"rope_type": "ntk-by-parts", "factor": 2.0} """)));
        Assert.Contains("unsupported rope type 'ntk-by-parts'", e.Message);
    }

    [Fact]
    public void Gemma3LocalLayersRotateWithTheirOwnBaseAndGlobalOnesWithTheScaledTheta()
    {
        var c = ModelConfig.FromJson(Config("Gemma3ForCausalLM", 7, """
            "max_position_embeddings": 256, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
            "rope_scaling": {"rope_type": "linear", "factor": 8.0}, "sliding_window": 16, "query_pre_attn_scalar": 8
            """));
        // sliding_window_pattern 6 (its default): layers 5 is global, the others slide.
        Assert.Equal([16, 16, 16, 16, 16, 0, 16], c.LayerWindows);
        Assert.Equal([1L, 1, 1, 1, 1, 0, 1], Enumerable.Range(0, 7).Select(c.RopeOf));
        Assert.Equal(("linear", 8.0, 1000000.0), (c.Rope.Type, c.Rope.Factor, c.Rope.Theta));
        Assert.Equal(("default", 10000.0), (c.LocalRope!.Type, c.LocalRope.Theta));
        using var global = new RotaryEmbedding(c, c.Rope, CPU);
        using var local = new RotaryEmbedding(c, c.LocalRope, CPU);
        var g = global.InverseFrequencies.data<float>().ToArray();
        var l = local.InverseFrequencies.data<float>().ToArray();
        for (var i = 0; i < 4; i++)
        {
            Assert.InRange(Math.Abs(g[i] - 1.0 / Math.Pow(1e6, 2.0 * i / 8) / 8) / g[i], 0, 1e-5);
            Assert.InRange(Math.Abs(l[i] - 1.0 / Math.Pow(1e4, 2.0 * i / 8)) / l[i], 0, 1e-5);
        }
    }

    [Fact]
    public void Qwen2SlidesFromMaxWindowLayersOnlyWithUseSlidingWindow()
    {
        const string common = """ "max_position_embeddings": 256, "rope_theta": 10000.0, "sliding_window": 32, "max_window_layers": 2 """;
        Assert.Empty(ModelConfig.FromJson(Config("Qwen2ForCausalLM", 4, common)).LayerWindows);
        var on = ModelConfig.FromJson(Config("Qwen2ForCausalLM", 4, common + """, "use_sliding_window": true """));
        Assert.Equal([0, 0, 32, 32], on.LayerWindows);
    }

    [Fact]
    public void Gemma2WithoutLayerTypesAlternatesFromASlidingFirstLayer()
    {
        var c = ModelConfig.FromJson(Config("Gemma2ForCausalLM", 4, """
            "max_position_embeddings": 256, "rope_theta": 10000.0, "sliding_window": 16, "query_pre_attn_scalar": 8,
            "final_logit_softcapping": 30.0, "attn_logit_softcapping": 50.0
            """));
        Assert.Equal([16, 0, 16, 0], c.LayerWindows);
        Assert.Equal(30.0, c.FinalLogitSoftcap);
        Assert.Equal(0.0, c.AttentionSoftcap); // SDPA, transformers' default, leaves the scores uncapped
    }
}

using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;

namespace OrleansLlm.Tests.Engine;

/// <summary>A small random Llama with more KV heads than the fixtures, to cut in several ways.</summary>
public static class RandomModel
{
    public static ModelConfig Config(int kvHeads = 4, int heads = 8, int ffn = 50, int layers = 3, bool bias = false) =>
        ModelConfig.FromJson($$"""
        {
          "architectures": ["LlamaForCausalLM"], "vocab_size": 64, "hidden_size": 32, "intermediate_size": {{ffn}},
          "num_hidden_layers": {{layers}}, "num_attention_heads": {{heads}}, "num_key_value_heads": {{kvHeads}},
          "head_dim": 8, "rms_norm_eps": 1e-5, "max_position_embeddings": 256, "rope_theta": 10000.0,
          "attention_bias": {{(bias ? "true" : "false")}}, "mlp_bias": {{(bias ? "true" : "false")}}
        }
        """);

    public static ShardModel Load(ModelConfig config, ModelSlice slice) =>
        ShardModel.Load(config, slice, new ShardOptions(), new RandomWeights(seed: 7));

    public static ModelSlice Slice(ModelConfig c, (int, int) kv, (int, int) ffn, (int, int)? layers = null) => new()
    {
        LayerStart = layers?.Item1 ?? 0, LayerEnd = layers?.Item2 ?? c.NumLayers,
        KvHeadStart = kv.Item1, KvHeadEnd = kv.Item2, FfnStart = ffn.Item1, FfnEnd = ffn.Item2,
    };
}

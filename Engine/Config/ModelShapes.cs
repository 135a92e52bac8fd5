namespace OrleansLlm.Engine.Config;

/// <summary>
/// Configs of real model shapes by name (tiny, the Llama sizes, and one size people run of each newer family), for
/// random-weight deployments in benchmarks and tests. The newer families' configs are those of the published checkpoints
/// (Qwen3-8B, gemma-2-9b, gemma-3-12b's text model, Phi-3-mini-4k-instruct).
/// </summary>
public static class ModelShapes
{
    private static readonly Dictionary<string, string> Shapes = new()
    {
        ["tiny"] = Llama(vocab: 512, hidden: 128, ffn: 344, layers: 4, heads: 8, kvHeads: 4, context: 2048, theta: 10000, llama3: false, tied: true),
        ["llama-1b"] = Llama(vocab: 128256, hidden: 2048, ffn: 8192, layers: 16, heads: 32, kvHeads: 8, context: 131072, theta: 500000, llama3: true, tied: true),
        ["llama-8b"] = Llama(vocab: 128256, hidden: 4096, ffn: 14336, layers: 32, heads: 32, kvHeads: 8, context: 131072, theta: 500000, llama3: true, tied: false),
        ["llama-70b"] = Llama(vocab: 128256, hidden: 8192, ffn: 28672, layers: 80, heads: 64, kvHeads: 8, context: 131072, theta: 500000, llama3: true, tied: false),
        ["qwen3-8b"] = """
            {
              "architectures": ["Qwen3ForCausalLM"], "vocab_size": 151936, "hidden_size": 4096, "intermediate_size": 12288,
              "num_hidden_layers": 36, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
              "rms_norm_eps": 1e-6, "max_position_embeddings": 40960, "rope_theta": 1000000, "tie_word_embeddings": false,
              "attention_bias": false, "hidden_act": "silu", "bos_token_id": 151643, "eos_token_id": 151645
            }
            """,
        ["gemma2-9b"] = $$"""
            {
              "architectures": ["Gemma2ForCausalLM"], "vocab_size": 256000, "hidden_size": 3584, "intermediate_size": 14336,
              "num_hidden_layers": 42, "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 256,
              "rms_norm_eps": 1e-6, "max_position_embeddings": 8192, "rope_theta": 10000, "tie_word_embeddings": true,
              "hidden_activation": "gelu_pytorch_tanh", "query_pre_attn_scalar": 256, "sliding_window": 4096,
              "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0, "attn_implementation": "eager", "layer_types": {{LayerTypes(42, 2)}},
              "bos_token_id": 2, "eos_token_id": 1
            }
            """,
        ["gemma3-12b"] = $$"""
            {
              "architectures": ["Gemma3ForCausalLM"], "vocab_size": 262208, "hidden_size": 3840, "intermediate_size": 15360,
              "num_hidden_layers": 48, "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 256,
              "rms_norm_eps": 1e-6, "max_position_embeddings": 131072, "rope_theta": 1000000, "rope_local_base_freq": 10000,
              "rope_scaling": {"rope_type": "linear", "factor": 8.0}, "tie_word_embeddings": true,
              "hidden_activation": "gelu_pytorch_tanh", "query_pre_attn_scalar": 256, "sliding_window": 1024,
              "layer_types": {{LayerTypes(48, 6)}}, "bos_token_id": 2, "eos_token_id": 1
            }
            """,
        ["phi3-mini"] = """
            {
              "architectures": ["Phi3ForCausalLM"], "vocab_size": 32064, "hidden_size": 3072, "intermediate_size": 8192,
              "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32, "rms_norm_eps": 1e-5,
              "max_position_embeddings": 4096, "original_max_position_embeddings": 4096, "rope_theta": 10000,
              "sliding_window": 2047, "tie_word_embeddings": false, "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 32000
            }
            """,
    };

    /// <summary>Gemma's pattern: every <paramref name="period"/>-th layer attends globally, the others slide.</summary>
    private static string LayerTypes(int layers, int period) =>
        "[" + string.Join(", ", Enumerable.Range(0, layers).Select(i => (i + 1) % period == 0 ? "\"full_attention\"" : "\"sliding_attention\"")) + "]";

    public static IEnumerable<string> Names => Shapes.Keys;

    /// <summary>The shape's config.json text.</summary>
    public static string Json(string name) =>
        Shapes.TryGetValue(name, out var json) ? json
            : throw new ModelConfigException($"unknown model shape '{name}' (known: {string.Join(", ", Shapes.Keys)})");

    public static ModelConfig Get(string name) =>
        Shapes.TryGetValue(name, out var json)
            ? ModelConfig.FromJson(json)
            : throw new ModelConfigException($"unknown model shape '{name}' (known: {string.Join(", ", Shapes.Keys)})");

    private static string Llama(int vocab, int hidden, int ffn, int layers, int heads, int kvHeads, int context,
        double theta, bool llama3, bool tied) => $$"""
        {
          "architectures": ["LlamaForCausalLM"], "vocab_size": {{vocab}}, "hidden_size": {{hidden}},
          "intermediate_size": {{ffn}}, "num_hidden_layers": {{layers}}, "num_attention_heads": {{heads}},
          "num_key_value_heads": {{kvHeads}}, "rms_norm_eps": 1e-5, "max_position_embeddings": {{context}},
          "rope_theta": {{theta}}, "tie_word_embeddings": {{(tied ? "true" : "false")}},
          "bos_token_id": 1, "eos_token_id": 2{{(llama3 ? ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 32.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}" : "")}}
        }
        """;
}

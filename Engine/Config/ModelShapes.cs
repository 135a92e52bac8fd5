namespace OrleansLlm.Engine.Config;

/// <summary>Configs of real model shapes by name (tiny, llama-1b, llama-8b, llama-70b), for random-weight deployments in benchmarks and tests.</summary>
public static class ModelShapes
{
    private static readonly Dictionary<string, string> Shapes = new()
    {
        ["tiny"] = Llama(vocab: 512, hidden: 128, ffn: 344, layers: 4, heads: 8, kvHeads: 4, context: 2048, theta: 10000, llama3: false, tied: true),
        ["llama-1b"] = Llama(vocab: 128256, hidden: 2048, ffn: 8192, layers: 16, heads: 32, kvHeads: 8, context: 131072, theta: 500000, llama3: true, tied: true),
        ["llama-8b"] = Llama(vocab: 128256, hidden: 4096, ffn: 14336, layers: 32, heads: 32, kvHeads: 8, context: 131072, theta: 500000, llama3: true, tied: false),
        ["llama-70b"] = Llama(vocab: 128256, hidden: 8192, ffn: 28672, layers: 80, heads: 64, kvHeads: 8, context: 131072, theta: 500000, llama3: true, tied: false),
    };

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

namespace OrleansLlm.Engine.Tokenization;

/// <summary>The transformers 5 classes that build their own pipeline around tokenizer.json's vocabulary and merges.</summary>
internal enum TokenizerClassKind { AsWritten, Llama, Gemma, Qwen2 }

/// <summary>
/// Which class transformers 5.17's AutoTokenizer loads a folder with (models/auto/tokenization_auto.py): the class
/// tokenizer_config.json names, unless config.json's model_type is registered with another one; then a registered
/// generic backend (Mistral's and Mixtral's without mistral_common, Phi-3's, which transformers lists as having a wrong
/// class on the Hub) means tokenizer.json as written, and a registered specialised class is kept only for model types
/// on that list. With no tokenizer_config.json class, the model_type's registered class; llama has none.
/// </summary>
internal static class TokenizerClass
{
    private static readonly Dictionary<string, TokenizerClassKind> Registered = new()
    {
        ["gemma"] = TokenizerClassKind.Gemma, ["gemma2"] = TokenizerClassKind.Gemma, ["gemma3"] = TokenizerClassKind.Gemma,
        ["gemma3_text"] = TokenizerClassKind.Gemma, ["gemma3n"] = TokenizerClassKind.Gemma, ["gemma3n_text"] = TokenizerClassKind.Gemma,
        ["recurrent_gemma"] = TokenizerClassKind.Gemma, ["t5gemma"] = TokenizerClassKind.Gemma,
        ["qwen2"] = TokenizerClassKind.Qwen2, ["qwen2_moe"] = TokenizerClassKind.Qwen2, ["qwen3"] = TokenizerClassKind.Qwen2,
        ["qwen3_moe"] = TokenizerClassKind.Qwen2, ["qwen3_next"] = TokenizerClassKind.Qwen2,
        // Registered as TokenizersBackend (the Mistral ones as MistralCommonBackend when mistral_common is installed).
        ["mistral"] = TokenizerClassKind.AsWritten, ["mixtral"] = TokenizerClassKind.AsWritten, ["ministral"] = TokenizerClassKind.AsWritten,
        ["ministral3"] = TokenizerClassKind.AsWritten, ["mistral3"] = TokenizerClassKind.AsWritten, ["phi3"] = TokenizerClassKind.AsWritten,
        ["phimoe"] = TokenizerClassKind.AsWritten, ["deepseek_v2"] = TokenizerClassKind.AsWritten, ["deepseek_v3"] = TokenizerClassKind.AsWritten,
        ["internlm2"] = TokenizerClassKind.AsWritten, ["jamba"] = TokenizerClassKind.AsWritten, ["nemotron"] = TokenizerClassKind.AsWritten,
    };

    /// <summary>Model types whose Hub class transformers overrules with the registered one.</summary>
    private static readonly HashSet<string> WrongOnTheHub = ["qwen2", "phi3", "phimoe", "deepseek_v2", "deepseek_v3", "internlm2", "jamba", "nemotron"];

    public static TokenizerClassKind Of(TokenizerConfig config)
    {
        var hub = Named(config.TokenizerClass);
        var registered = config.ModelType is { } t && Registered.TryGetValue(t, out var r) ? r : (TokenizerClassKind?)null;
        if (config.TokenizerClass is null) return registered ?? TokenizerClassKind.AsWritten;
        if (registered is not { } reg || reg == hub) return hub;
        if (reg == TokenizerClassKind.AsWritten) return TokenizerClassKind.AsWritten;
        return WrongOnTheHub.Contains(config.ModelType!) ? reg : hub;
    }

    /// <summary>A class name without its "Fast" suffix (transformers 5 has one class per tokenizer).</summary>
    private static TokenizerClassKind Named(string? name) => name?.Replace("Fast", "", StringComparison.Ordinal) switch
    {
        "LlamaTokenizer" => TokenizerClassKind.Llama,
        "GemmaTokenizer" => TokenizerClassKind.Gemma,
        "Qwen2Tokenizer" => TokenizerClassKind.Qwen2,
        _ => TokenizerClassKind.AsWritten,
    };
}

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// What the transformers 5 class named by tokenizer_config.json's tokenizer_class does to a tokenizer.json on load:
/// the special tokens and add_bos/add_eos defaults it passes itself, and whether it rebuilds a SentencePiece-style
/// pipeline (<see cref="SentencePiecePipeline"/>). Classes not listed (PreTrainedTokenizerFast, TokenizersBackend,
/// Qwen2Tokenizer, GPT2Tokenizer, ...) take tokenizer.json as it is.
/// </summary>
internal sealed record TokenizerClass(string? Bos, string? Eos, bool? AddBos, bool? AddEos, bool RebuildsSentencePiece)
{
    private static readonly TokenizerClass AsWritten = new(null, null, null, null, false);

    public static TokenizerClass Of(string? className) => className switch
    {
        // LlamaTokenizer (also what Mistral and Phi-3 checkpoints name) keeps only vocab and merges and builds the rest.
        "LlamaTokenizer" => new("<s>", "</s>", null, null, true),
        // GemmaTokenizer passes add_bos_token=True unless told otherwise; its pipeline is Gemma's tokenizer.json's own.
        "GemmaTokenizer" => new("<bos>", "<eos>", true, false, false),
        _ => AsWritten,
    };
}

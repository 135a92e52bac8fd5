using OrleansLlm.Engine.Tokenization;
using Xunit;

namespace OrleansLlm.Tests.Tokenization;

/// <summary>
/// A folder's tokenizer settings as transformers 5.17 applies them to a hand-made Llama 2 style tokenizer.json. The
/// expected ids here were derived by reading transformers 5.17's sources (models/llama/tokenization_llama.py builds
/// Metaspace with prepend_scheme from _get_prepend_scheme(add_prefix_space, legacy); models/auto/tokenization_auto.py
/// picks the class) and tokenizers' Metaspace ("first" prepends only to the split at offset 0, never to one already
/// starting with "▁"); TransformersRuleTests checks the same rules against AutoTokenizer's own ids.
/// </summary>
public sealed class TransformersLoadingTests
{
    // ids: <unk> 0, <s> 1, </s> 2, <0xC3> 3, <0xA9> 4, ▁ 5, h 6, e 7, l 8, o 9, ▁h 10, el 11, ell 12, ▁hell 13, ▁hello 14
    private const string Llama2Json = """
        {"added_tokens": [{"id": 0, "content": "<unk>", "special": true, "normalized": false},
                          {"id": 1, "content": "<s>", "special": true, "normalized": false},
                          {"id": 2, "content": "</s>", "special": true, "normalized": false}],
         "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                        {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
         "pre_tokenizer": null,
         "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                            "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
         "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                     {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
         "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true,
                   "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0xC3>": 3, "<0xA9>": 4, "▁": 5, "h": 6, "e": 7, "l": 8, "o": 9,
                             "▁h": 10, "el": 11, "ell": 12, "▁hell": 13, "▁hello": 14},
                   "merges": ["▁ h", "e l", "el l", "▁h ell", "▁hell o"]}}
        """;

    private static HfTokenizer Llama(string config, string? modelType = "llama") =>
        HfTokenizer.FromJson(Llama2Json, TokenizerConfig.FromJson(config, modelType));

    [Fact]
    public void After_a_special_token_llama_tokenizer_puts_no_space_mark_where_the_tokenizers_library_does()
    {
        var transformers = Llama("""{"tokenizer_class": "LlamaTokenizerFast"}""");
        Assert.Equal([1, 14, 2, 6, 12, 9], transformers.Encode("hello</s>hello"));
        Assert.Equal([1, 1, 6, 12, 9], transformers.Encode("<s>hello"));
        Assert.Equal([1, 14, 2, 14], HfTokenizer.FromJson(Llama2Json).Encode("hello</s>hello"));
    }

    [Fact]
    public void A_leading_space_is_the_one_space_mark_under_metaspace_but_a_second_under_prepend()
    {
        Assert.Equal([1, 14], Llama("""{"tokenizer_class": "LlamaTokenizer"}""").Encode(" hello"));
        Assert.Equal([1, 5, 14], HfTokenizer.FromJson(Llama2Json).Encode(" hello"));
    }

    [Fact]
    public void Legacy_true_marks_every_span_and_add_prefix_space_false_marks_none()
    {
        var legacy = Llama("""{"tokenizer_class": "LlamaTokenizer", "legacy": true}""");
        Assert.Equal([1, 14, 2, 14], legacy.Encode("hello</s>hello"));
        Assert.Equal([1, 14], legacy.Encode(" hello"));
        var noPrefix = Llama("""{"tokenizer_class": "LlamaTokenizer", "add_prefix_space": false}""");
        Assert.Equal([1, 6, 12, 9, 14], noPrefix.Encode("hello hello"));
        Assert.Equal(" hello", noPrefix.Decode([14]));
        Assert.Equal("hello", Llama("""{"tokenizer_class": "LlamaTokenizer"}""").Decode([14]));
    }

    [Theory]
    [InlineData("""{"tokenizer_class": "PreTrainedTokenizerFast"}""", "llama")]
    [InlineData("""{"tokenizer_class": "LlamaTokenizer"}""", "mistral")] // registered as TokenizersBackend
    [InlineData("""{"tokenizer_class": "LlamaTokenizer"}""", "phi3")] // listed as having a wrong class on the Hub
    [InlineData("{}", "llama")]
    public void Other_classes_and_model_types_read_tokenizer_json_as_written(string config, string modelType)
    {
        Assert.Equal([1, 14, 2, 14], Llama(config, modelType).Encode("hello</s>hello"));
    }

    [Fact]
    public void Gemma_model_types_get_gemma_s_pipeline_with_or_without_a_named_class()
    {
        // Replace(" ", "▁") and no prefix: "hello hello" is h ell o ▁hello; the decoder strips nothing.
        foreach (var config in new[] { "{}", """{"tokenizer_class": "GemmaTokenizer"}""" })
        {
            var gemma = Llama(config, "gemma2");
            Assert.Equal([1, 6, 12, 9, 14], gemma.Encode("hello hello"));
            Assert.Equal(" hello", gemma.Decode([14]));
        }
    }

    [Fact]
    public void Add_bos_and_add_eos_flags_leave_the_post_processor_of_tokenizer_json_in_charge()
    {
        Assert.Equal([1, 14], Llama("""{"tokenizer_class": "LlamaTokenizer", "add_bos_token": false, "add_eos_token": true}""").Encode("hello"));
        var bare = Llama2Json.Replace("\"post_processor\": {\"type\"", "\"unused\": {\"type\"", StringComparison.Ordinal);
        // As AutoTokenizer gave for the llama2-eos and llama2-nopost-eos folders of Tests/Fixtures/tokenizers.
        var config = TokenizerConfig.FromJson("""{"tokenizer_class": "LlamaTokenizer", "add_bos_token": false, "add_eos_token": true}""", "llama");
        Assert.Equal([14], HfTokenizer.FromJson(bare, config).Encode("hello"));
    }

    [Fact]
    public void A_byte_level_tokenizer_json_keeps_its_pipeline_under_llama_tokenizer()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "llama-tiny");
        var json = File.ReadAllText(Path.Combine(dir, "tokenizer.json"));
        var asLlama = HfTokenizer.FromJson(json, TokenizerConfig.FromJson("""{"tokenizer_class": "LlamaTokenizer"}""", "llama"));
        const string text = "Hello world <|im_start|>user\n hi";
        Assert.Equal(HfTokenizer.FromJson(json).Encode(text), asLlama.Encode(text));
    }

    [Fact]
    public void A_flag_of_the_wrong_kind_is_refused_in_one_line()
    {
        var flag = Assert.Throws<TokenizerException>(() => TokenizerConfig.FromJson("""{"legacy": "yes"}"""));
        Assert.Equal("tokenizer_config.json: legacy must be true or false, got \"yes\"", flag.Message);
    }
}

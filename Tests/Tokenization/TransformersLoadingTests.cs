using OrleansLlm.Engine.Tokenization;
using Xunit;

namespace OrleansLlm.Tests.Tokenization;

/// <summary>
/// tokenizer_config.json as transformers 5 applies it to a Llama 2 style tokenizer.json. The expected ids here were
/// derived by reading transformers 5's sources (models/llama/tokenization_llama.py builds Metaspace with
/// prepend_scheme from _get_prepend_scheme(add_prefix_space, legacy); tokenization_utils_tokenizers.py's
/// update_post_processor rebuilds [bos] $A [eos] from add_bos_token / add_eos_token) and tokenizers' Metaspace
/// ("first" prepends only to the split at offset 0, and never to one already starting with "▁"); TransformersRuleTests
/// checks the same rules against AutoTokenizer's own ids once make_expected.py has run.
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

    private static HfTokenizer Llama(string config) => HfTokenizer.FromJson(Llama2Json, TokenizerConfig.FromJson(config));

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

    [Fact]
    public void Other_classes_and_folders_without_a_class_read_tokenizer_json_as_written()
    {
        Assert.Equal([1, 14, 2, 14], Llama("""{"tokenizer_class": "PreTrainedTokenizerFast"}""").Encode("hello</s>hello"));
        Assert.Equal([1, 14, 2, 14], HfTokenizer.FromJson(Llama2Json, TokenizerConfig.None).Encode("hello</s>hello"));
    }

    [Fact]
    public void Add_bos_and_add_eos_flags_win_over_the_post_processor_of_tokenizer_json()
    {
        Assert.Equal([14], Llama("""{"tokenizer_class": "LlamaTokenizer", "add_bos_token": false}""").Encode("hello"));
        Assert.Equal([1, 14, 2], Llama("""{"add_bos_token": true, "add_eos_token": true, "bos_token": "<s>", "eos_token": {"content": "</s>"}}""")
            .Encode("hello"));
        // The class names its own tokens; a generic class has none, so its flag adds nothing.
        Assert.Equal([14, 2], Llama("""{"tokenizer_class": "LlamaTokenizer", "add_bos_token": false, "add_eos_token": true}""").Encode("hello"));
        Assert.Equal([14], Llama("""{"tokenizer_class": "PreTrainedTokenizerFast", "add_bos_token": true}""").Encode("hello"));
        Assert.Equal([14], Llama("""{"add_bos_token": false}""").Encode("hello", addSpecialTokens: true));
    }

    [Fact]
    public void Without_flags_or_a_post_processor_nothing_is_added_unless_the_class_says_so()
    {
        var bare = Llama2Json.Replace("\"post_processor\": {\"type\"", "\"unused\": {\"type\"", StringComparison.Ordinal);
        Assert.Equal([14], HfTokenizer.FromJson(bare, TokenizerConfig.FromJson("""{"tokenizer_class": "LlamaTokenizer"}""")).Encode("hello"));
        var gemma = TokenizerConfig.FromJson("""{"tokenizer_class": "GemmaTokenizerFast", "bos_token": "<s>"}""");
        Assert.Equal([1, 14], HfTokenizer.FromJson(bare, gemma).Encode("hello"));
    }

    [Fact]
    public void A_byte_level_tokenizer_json_keeps_its_pipeline_under_llama_tokenizer()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "llama-tiny");
        var json = File.ReadAllText(Path.Combine(dir, "tokenizer.json"));
        var asLlama = HfTokenizer.FromJson(json, TokenizerConfig.FromJson("""{"tokenizer_class": "LlamaTokenizer", "add_bos_token": false}"""));
        const string text = "Hello world <|im_start|>user\n hi";
        Assert.Equal(HfTokenizer.FromJson(json).Encode(text), asLlama.Encode(text));
    }

    [Fact]
    public void A_flag_for_a_token_tokenizer_json_lacks_is_refused_in_one_line()
    {
        var e = Assert.Throws<TokenizerException>(() => Llama("""{"add_bos_token": true, "bos_token": "<bos>"}"""));
        Assert.Equal("tokenizer_config.json asks to add '<bos>', which tokenizer.json does not have", e.Message);
        var flag = Assert.Throws<TokenizerException>(() => TokenizerConfig.FromJson("""{"add_bos_token": "yes"}"""));
        Assert.Equal("tokenizer_config.json: add_bos_token must be true or false, got \"yes\"", flag.Message);
    }
}

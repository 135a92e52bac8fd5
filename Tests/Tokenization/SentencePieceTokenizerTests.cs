using OrleansLlm.Engine.Tokenization;
using Xunit;

namespace OrleansLlm.Tests.Tokenization;

/// <summary>
/// A hand-written Llama 2 style tokenizer.json. Expected ids were checked against Hugging Face tokenizers 0.22.
/// </summary>
public sealed class SentencePieceTokenizerTests
{
    // ids: <unk> 0, <s> 1, </s> 2, <0xC3> 3, <0xA9> 4, ▁ 5, h 6, e 7, l 8, o 9, ▁h 10, el 11, ell 12, ▁hell 13, ▁hello 14
    private const string Vocab = """
        "<unk>": 0, "<s>": 1, "</s>": 2, "<0xC3>": 3, "<0xA9>": 4, "▁": 5, "h": 6, "e": 7, "l": 8, "o": 9,
        "▁h": 10, "el": 11, "ell": 12, "▁hell": 13, "▁hello": 14
        """;

    private const string AddedTokens = """
        [{"id": 0, "content": "<unk>", "special": true, "normalized": false},
         {"id": 1, "content": "<s>", "special": true, "normalized": false},
         {"id": 2, "content": "</s>", "special": true, "normalized": false}]
        """;

    private const string Bos = """
        {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
         "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
        """;

    /// <summary>Llama 2 as converted by transformers: the "▁" work happens in the normalizer.</summary>
    private static readonly HfTokenizer Llama2 = HfTokenizer.FromJson($$$"""
        {"version": "1.0", "added_tokens": {{{AddedTokens}}},
         "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                        {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
         "pre_tokenizer": null,
         "post_processor": {{{Bos}}},
         "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                     {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
         "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": false, "byte_fallback": true,
                   "vocab": { {{{Vocab}}} },
                   "merges": ["▁ h", "e l", "el l", "▁h ell", "▁hell o"]}}
        """);

    /// <summary>Newer conversions: a Metaspace pre-tokenizer that adds "▁" only at the start of the input.</summary>
    private static readonly HfTokenizer Metaspace = HfTokenizer.FromJson($$$"""
        {"added_tokens": {{{AddedTokens}}}, "normalizer": null,
         "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false},
         "post_processor": {{{Bos}}},
         "decoder": {"type": "Sequence", "decoders": [{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first"},
                     {"type": "ByteFallback"}, {"type": "Fuse"}]},
         "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "vocab": { {{{Vocab}}} },
                   "merges": [["▁", "h"], ["e", "l"], ["el", "l"], ["▁h", "ell"], ["▁hell", "o"]]}}
        """);

    [Fact]
    public void A_word_from_the_merges_becomes_one_token_after_bos()
    {
        Assert.Equal([1, 14, 14], Llama2.Encode("hello hello"));
        Assert.Equal([14, 14], Llama2.Encode("hello hello", addSpecialTokens: false));
    }

    [Fact]
    public void A_char_missing_from_the_vocab_falls_back_to_byte_tokens()
    {
        Assert.Equal([14, 5, 3, 4], Llama2.Encode("hello é", addSpecialTokens: false));
    }

    [Fact]
    public void A_char_without_byte_tokens_becomes_unk()
    {
        Assert.Equal([5, 0, 0], Llama2.Encode("zz", addSpecialTokens: false));
    }

    [Fact]
    public void Decode_restores_spaces_and_strips_the_leading_one()
    {
        Assert.Equal("hello é hello", Llama2.Decode(Llama2.Encode("hello é hello")));
        Assert.Equal("<s> hello", Llama2.Decode([1, 14], skipSpecialTokens: false));
    }

    [Fact]
    public void Each_span_between_special_tokens_is_normalized_on_its_own()
    {
        Assert.Equal([1, 14, 2, 14], Llama2.Encode("hello</s>hello"));
        Assert.Equal([1, 2], Llama2.Encode("</s>"));
    }

    [Fact]
    public void Metaspace_first_prepends_only_at_the_start_of_the_input()
    {
        Assert.Equal([1, 14, 2, 6, 12, 9], Metaspace.Encode("hello</s>hello"));
        Assert.Equal("hello é hello", Metaspace.Decode(Metaspace.Encode("hello é hello")));
    }

    [Fact]
    public void Streaming_waits_for_the_last_byte_of_a_character()
    {
        var decoder = Llama2.CreateStreamingDecoder();
        Assert.Equal("", decoder.Push(1));
        Assert.Equal("hello", decoder.Push(14));
        Assert.Equal(" ", decoder.Push(5));
        Assert.Equal("", decoder.Push(3));
        Assert.Equal("", decoder.Push(4));
        Assert.Equal("é hello", decoder.Push(14));
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Flush_returns_held_back_bytes()
    {
        var decoder = Llama2.CreateStreamingDecoder();
        var pushed = string.Concat(new[] { 14, 5, 3 }.Select(decoder.Push));
        Assert.Equal(Llama2.Decode([14, 5, 3]), pushed + decoder.Flush());
    }
}

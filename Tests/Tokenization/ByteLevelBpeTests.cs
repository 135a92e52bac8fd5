using System.Text.Json.Nodes;
using OrleansLlm.Engine.Tokenization;
using Xunit;

namespace OrleansLlm.Tests.Tokenization;

/// <summary>
/// Byte-level BPE configurations beyond the llama-tiny fixture. Expected ids were checked against
/// Hugging Face tokenizers 0.22.
/// </summary>
public sealed class ByteLevelBpeTests
{
    private const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static readonly string FixtureJson =
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "llama-tiny", "tokenizer.json"));

    [Fact]
    public void Merges_as_strings_give_the_same_ids_as_merges_as_arrays()
    {
        var json = JsonNode.Parse(FixtureJson)!;
        var merges = json["model"]!["merges"]!.AsArray();
        Assert.IsType<JsonArray>(merges[0]); // the fixture ships the array form
        json["model"]!["merges"] = new JsonArray(merges.Select(m => (JsonNode)$"{m![0]} {m[1]}").ToArray());
        var fromArrays = HfTokenizer.FromJson(FixtureJson);
        var fromStrings = HfTokenizer.FromJson(json.ToJsonString());
        foreach (var text in new[] { "Hello world", "def main():\n    return 42", "  leading and   multiple   spaces" })
            Assert.Equal(fromArrays.Encode(text), fromStrings.Encode(text));
    }

    [Fact]
    public void Llama3_split_pattern_and_ignore_merges_match_hugging_face()
    {
        var tokenizer = HfTokenizer.FromJson(SmallByteLevelJson(llama3: true));
        // 'S matched case-insensitively, " $" kept whole, digits in threes; "hello" is in the vocab but has no merges.
        Assert.Equal([20, 15, 16, 18, 19, 4, 17, 13, 14], tokenizer.Encode("IT'S $hello 12345"));
        Assert.Equal("IT'S $hello 12345", tokenizer.Decode(tokenizer.Encode("IT'S $hello 12345")));
    }

    [Fact]
    public void Gpt2_pattern_without_ignore_merges_splits_the_same_text_differently()
    {
        var tokenizer = HfTokenizer.FromJson(SmallByteLevelJson(llama3: false));
        Assert.Equal([15, 2, 3, 4, 5, 6, 7, 8, 8, 9, 4, 10, 11, 12, 13, 14], tokenizer.Encode("IT'S $hello 12345"));
    }

    [Fact]
    public void Added_tokens_match_longest_first_and_strip_whitespace_when_asked()
    {
        var json = JsonNode.Parse(FixtureJson)!;
        var added = json["added_tokens"]!.AsArray();
        added.Add(AddedToken(320, "<tool>", special: false, normalized: false, strip: true));
        added.Add(AddedToken(321, "hello world", special: false, normalized: true, strip: false));
        added.Add(AddedToken(322, "<|im", special: true, normalized: false, strip: false));
        var tokenizer = HfTokenizer.FromJson(json.ToJsonString());
        Assert.Equal([1, 322], tokenizer.Encode("<|im_start|><|im"));
        Assert.Equal([90, 320, 91], tokenizer.Encode("x <tool>  y"));
        Assert.Equal("x<tool>y", tokenizer.Decode([90, 320, 91]));
        Assert.Equal([321], tokenizer.Encode("hello world"));
        Assert.Equal(323, tokenizer.VocabSize);
    }

    [Fact]
    public void Nfc_normalizer_composes_combining_accents()
    {
        var json = JsonNode.Parse(FixtureJson)!;
        json["normalizer"] = new JsonObject { ["type"] = "NFC" };
        var tokenizer = HfTokenizer.FromJson(json.ToJsonString());
        Assert.Equal([130, 97, 223, 130, 105], tokenizer.Encode("a\u0301 e\u0301"));
    }

    private static JsonObject AddedToken(int id, string content, bool special, bool normalized, bool strip) => new()
    {
        ["id"] = id, ["content"] = content, ["special"] = special, ["normalized"] = normalized,
        ["lstrip"] = strip, ["rstrip"] = strip, ["single_word"] = false,
    };

    /// <summary>A Llama 3 shaped tokenizer (Split + ByteLevel, ignore_merges, BOS), or the GPT-2 shape on the same vocab.</summary>
    private static string SmallByteLevelJson(bool llama3)
    {
        var preTokenizer = llama3
            ? $$"""
              {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": {{JsonValue.Create(Llama3Pattern).ToJsonString()}}}, "behavior": "Isolated", "invert": false},
                {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
              """
            : """{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}""";
        var postProcessor = llama3
            ? """
              {"type": "Sequence", "processors": [{"type": "ByteLevel", "trim_offsets": false},
                {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                 "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [20], "tokens": ["<|begin_of_text|>"]}}}]}
              """
            : "null";
        return $$$"""
            {"added_tokens": [{"id": 20, "content": "<|begin_of_text|>", "special": true, "normalized": false}],
             "normalizer": null, "pre_tokenizer": {{{preTokenizer}}}, "post_processor": {{{postProcessor}}},
             "decoder": {"type": "ByteLevel"},
             "model": {"type": "BPE", "ignore_merges": {{{(llama3 ? "true" : "false")}}},
                       "vocab": {"I": 0, "T": 1, "'": 2, "S": 3, "Ġ": 4, "$": 5, "h": 6, "e": 7, "l": 8, "o": 9, "1": 10,
                                 "2": 11, "3": 12, "4": 13, "5": 14, "IT": 15, "'S": 16, "123": 17, "Ġ$": 18, "hello": 19},
                       "merges": [["I", "T"]]}}
            """;
    }
}

using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OrleansLlm.Engine.Tokenization;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Tokenization;

/// <summary>
/// Encode with a token limit (the prefix of the whole encoding, pulled piece by piece and stopped once past the limit,
/// cancellable) and the bound on characters per token that refuses an oversized text without tokenizing it.
/// </summary>
public sealed class TokenLimitTests
{
    private static readonly string LlamaTinyJson =
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "llama-tiny", "tokenizer.json"));
    private static readonly string StoriesJson = File.ReadAllText(Path.Combine(DemoModelTests.Dir, "tokenizer.json"));

    private const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const string Text = "Once upon a time, <s>there was a little girl named Lily.</s> She loved to play outside\n\n" +
                                "in the park. \"Éclair\" 12345 — 🙂 emoji, tabs\tand   spaces. <s>The end.";

    public static TheoryData<string> Tokenizers => new() { "byte-level", "sentencepiece", "metaspace-split", "llama3-split" };

    private static HfTokenizer Load(string name)
    {
        var json = JsonNode.Parse(name is "byte-level" or "llama3-split" ? LlamaTinyJson : StoriesJson)!;
        if (name == "metaspace-split")
        {
            json["normalizer"] = null;
            json["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "first", ["split"] = true,
            };
        }
        if (name == "llama3-split")
            json["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Llama3Pattern }, ["behavior"] = "Isolated" },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = false }),
            };
        return HfTokenizer.FromJson(json.ToJsonString());
    }

    [Theory, MemberData(nameof(Tokenizers))]
    public void A_limited_encoding_is_the_prefix_of_the_whole_one(string name)
    {
        var tokenizer = Load(name);
        foreach (var special in new[] { true, false })
        {
            var whole = tokenizer.Encode(Text, special);
            foreach (var limit in new[] { 0, 1, 2, 5, whole.Length / 2, whole.Length - 2, whole.Length - 1, whole.Length, whole.Length + 10 })
                Assert.Equal(whole.Take(limit + 1), tokenizer.Encode(Text, special, limit, CancellationToken.None));
        }
    }

    [Theory]
    [InlineData("byte-level"), InlineData("metaspace-split"), InlineData("llama3-split")]
    public void A_limited_encoding_stops_pulling_pieces_past_the_limit(string name)
    {
        var tokenizer = Load(name);
        var text = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"word{i} "));
        var before = tokenizer.PiecesEncoded;
        var ids = tokenizer.Encode(text, true, 100, CancellationToken.None);
        Assert.Equal(101, ids.Length);
        var limited = tokenizer.PiecesEncoded - before;
        tokenizer.Encode(text);
        var whole = tokenizer.PiecesEncoded - before - limited;
        // Each piece gives at least one id, so 101 pieces at most reach the limit; the whole text takes thousands.
        Assert.InRange(limited, 1, 101);
        Assert.True(whole > 10_000, $"the whole text took {whole} pieces");
    }

    [Fact]
    public void A_cancelled_encoding_throws()
    {
        var tokenizer = Load("byte-level");
        Assert.Throws<OperationCanceledException>(() => tokenizer.Encode(Text, true, 1000, new CancellationToken(canceled: true)));
    }

    [Theory, MemberData(nameof(Tokenizers))]
    public void No_token_covers_more_characters_than_the_bound(string name)
    {
        var tokenizer = Load(name);
        var bound = Assert.IsType<int>(tokenizer.MaxCharsPerToken);
        var samples = new[] { Text, new string(' ', 500), new string('a', 300), "🙂🙂🙂", "\u0000\u0001\u0002", string.Concat(Enumerable.Repeat("<s>", 50)) };
        foreach (var text in samples)
        {
            var ids = tokenizer.Encode(text, addSpecialTokens: false);
            Assert.True((long)ids.Length * bound >= text.Length, $"{ids.Length} tokens × {bound} < {text.Length} chars");
            Assert.False(tokenizer.CannotFit(text.Length, ids.Length));
        }
    }

    [Theory]
    [InlineData("normalizer", """{"type": "Strip", "strip_left": true, "strip_right": true}""")]
    [InlineData("normalizer", """{"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}""")]
    [InlineData("pre_tokenizer", """{"type": "Split", "pattern": {"String": " "}, "behavior": "Removed", "invert": false}""")]
    public void A_tokenizer_that_can_make_text_vanish_has_no_bound(string component, string json)
    {
        var root = JsonNode.Parse(LlamaTinyJson)!;
        root[component] = JsonNode.Parse(json);
        var tokenizer = HfTokenizer.FromJson(root.ToJsonString());
        Assert.Null(tokenizer.MaxCharsPerToken);
        Assert.False(tokenizer.CannotFit(long.MaxValue / 2, 1));
    }

    [Fact]
    public void Added_tokens_that_swallow_whitespace_leave_no_bound()
    {
        var root = JsonNode.Parse(StoriesJson)!;
        root["added_tokens"]![1]!["rstrip"] = true;
        Assert.Null(HfTokenizer.FromJson(root.ToJsonString()).MaxCharsPerToken);
    }

    /// <summary>Hugging Face's documented example of each SplitDelimiterBehavior, on "the-final--countdown".</summary>
    [Theory]
    [InlineData("Isolated", "the|-|final|-|-|countdown")]
    [InlineData("Removed", "the|final|countdown")]
    [InlineData("MergedWithPrevious", "the-|final-|-|countdown")]
    [InlineData("MergedWithNext", "the|-final|-|-countdown")]
    [InlineData("Contiguous", "the|-|final|--|countdown")]
    public void Split_behaviours_cut_as_hugging_face_documents(string behavior, string expected)
    {
        const string text = "the-final--countdown";
        var spans = Patterns.Split(text, new Regex("-"), behavior, invert: false).Select(s => text[s.Start..s.End]);
        Assert.Equal(expected, string.Join('|', spans));
    }
}

using System.Text.Json;
using OrleansLlm.Engine.Tokenization;
using Xunit;

namespace OrleansLlm.Tests.Tokenization;

/// <summary>The llama-tiny tokenizer against ids and text that Hugging Face tokenizers produced (meta.json).</summary>
public sealed class FixtureTokenizerTests
{
    private static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "llama-tiny");
    private static readonly HfTokenizer Tokenizer = HfTokenizer.Load(FixtureDir);
    private static readonly List<Sample> AllSamples = ReadSamples();

    public static TheoryData<int> SampleIndexes => new(Enumerable.Range(0, AllSamples.Count));

    [Theory]
    [MemberData(nameof(SampleIndexes))]
    public void Encode_matches_hugging_face(int index)
    {
        var sample = AllSamples[index];
        Assert.Equal(sample.Ids, Tokenizer.Encode(sample.Text));
    }

    [Theory]
    [MemberData(nameof(SampleIndexes))]
    public void Decode_matches_hugging_face(int index)
    {
        var sample = AllSamples[index];
        Assert.Equal(sample.Decoded, Tokenizer.Decode(sample.Ids));
    }

    [Theory]
    [MemberData(nameof(SampleIndexes))]
    public void Streaming_decode_adds_up_to_decode_without_broken_chars(int index)
    {
        var sample = AllSamples[index];
        var decoder = Tokenizer.CreateStreamingDecoder();
        var pieces = sample.Ids.Select(decoder.Push).Append(decoder.Flush()).ToList();
        Assert.Equal(sample.Decoded, string.Concat(pieces));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
    }

    [Fact]
    public void Emoji_split_over_byte_tokens_streams_only_whole_characters()
    {
        var ids = Tokenizer.Encode("🚀🔥", addSpecialTokens: false);
        Assert.True(ids.Length > 2, "each emoji should take several byte-level tokens");
        var decoder = Tokenizer.CreateStreamingDecoder();
        var pieces = ids.Select(decoder.Push).ToList();
        Assert.Contains("", pieces);
        Assert.Equal("🚀🔥", string.Concat(pieces) + decoder.Flush());
    }

    [Fact]
    public void Special_tokens_are_listed_and_kept_on_request()
    {
        Assert.Equal(new HashSet<int> { 0, 1, 2 }, Tokenizer.SpecialTokenIds);
        Assert.Equal(1, Tokenizer.TokenToId("<|im_start|>"));
        Assert.Null(Tokenizer.TokenToId("no such token"));
        Assert.Equal("<|im_start|>user<|im_end|>", Tokenizer.Decode(Tokenizer.Encode("<|im_start|>user<|im_end|>"), skipSpecialTokens: false));
    }

    [Fact]
    public void Vocab_size_covers_the_largest_id()
    {
        Assert.Equal(320, Tokenizer.VocabSize);
    }

    private static List<Sample> ReadSamples()
    {
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir, "meta.json")));
        return meta.RootElement.GetProperty("tokenizer_samples").EnumerateArray()
            .Select(s => new Sample(
                s.GetProperty("text").GetString()!,
                s.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray(),
                s.GetProperty("decoded").GetString()!))
            .ToList();
    }

    private sealed record Sample(string Text, int[] Ids, string Decoded);
}

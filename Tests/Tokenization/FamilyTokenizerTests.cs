using System.Text.Json;
using OrleansLlm.Engine.Tokenization;
using Xunit;

namespace OrleansLlm.Tests.Tokenization;

/// <summary>
/// Every family fixture (Tests/Fixtures/families/NAME/) against the ids and text in its meta.json, which Hugging Face
/// tokenizers 0.23 produced: Gemma-, Mistral- and Phi-3-style SentencePiece BPE (Prepend + Replace normalizer, byte
/// fallback, byte tokens that are special and so vanish from a decode that skips special tokens) and Qwen3's byte-level
/// BPE. The samples are the tokenizers library's reading of tokenizer.json alone (Tokenizer.from_file), so they are
/// checked against HfTokenizer.FromJson: once a folder gains its config.json, AutoTokenizer, and so HfTokenizer.Load,
/// picks a class by model_type (GemmaTokenizer drops the Prepend, Qwen2Tokenizer adds NFC and Qwen's split pattern),
/// which TransformersRuleTests covers.
/// </summary>
public sealed class FamilyTokenizerTests
{
    private static readonly string FamiliesDir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "families");
    private static readonly Dictionary<string, HfTokenizer> Tokenizers = new();

    public static TheoryData<string, int> Samples()
    {
        var data = new TheoryData<string, int>();
        foreach (var dir in Directory.GetDirectories(FamiliesDir).Order(StringComparer.Ordinal))
        {
            if (!File.Exists(Path.Combine(dir, "tokenizer.json"))) continue;
            var name = Path.GetFileName(dir);
            for (var i = 0; i < ReadSamples(name).Count; i++) data.Add(name, i);
        }
        return data;
    }

    [Fact]
    public void Both_kinds_of_family_tokenizer_are_here()
    {
        var names = Samples().Select(row => (string)row[0]).ToHashSet();
        Assert.Contains("gemma2-tiny", names);
        Assert.Contains("qwen3-tiny", names);
    }

    [Theory, MemberData(nameof(Samples))]
    public void Encode_matches_hugging_face(string family, int index)
    {
        var sample = ReadSamples(family)[index];
        Assert.Equal(sample.Ids, Tokenizer(family).Encode(sample.Text));
    }

    [Theory, MemberData(nameof(Samples))]
    public void Decode_matches_hugging_face(string family, int index)
    {
        var sample = ReadSamples(family)[index];
        Assert.Equal(sample.Decoded, Tokenizer(family).Decode(sample.Ids));
    }

    [Theory, MemberData(nameof(Samples))]
    public void Streaming_decode_adds_up_to_decode(string family, int index)
    {
        var sample = ReadSamples(family)[index];
        var decoder = Tokenizer(family).CreateStreamingDecoder();
        var text = string.Concat(sample.Ids.Select(decoder.Push)) + decoder.Flush();
        Assert.Equal(sample.Decoded, text);
    }

    private static HfTokenizer Tokenizer(string family)
    {
        lock (Tokenizers)
        {
            if (!Tokenizers.TryGetValue(family, out var tokenizer))
                Tokenizers[family] = tokenizer = HfTokenizer.FromJson(File.ReadAllText(Path.Combine(FamiliesDir, family, "tokenizer.json")));
            return tokenizer;
        }
    }

    private static List<Sample> ReadSamples(string family)
    {
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(FamiliesDir, family, "meta.json")));
        return meta.RootElement.GetProperty("tokenizer_samples").EnumerateArray()
            .Select(s => new Sample(
                s.GetProperty("text").GetString()!,
                s.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray(),
                s.GetProperty("decoded").GetString()!))
            .ToList();
    }

    private sealed record Sample(string Text, int[] Ids, string Decoded);
}

using System.Text.Json;
using OrleansLlm.Engine.Tokenization;
using Xunit;

namespace OrleansLlm.Tests.Tokenization;

/// <summary>
/// The tokenizer folders of Tests/Fixtures/tokenizers/ (Llama 2 / Mistral / Phi-3 style with Prepend, Gemma style with
/// Replace only, Qwen3 byte-level; add_bos_token / add_eos_token / legacy variations) against the ids, tokens and text
/// that transformers 5.17's AutoTokenizer gave for them, recorded in each expected.json by make_expected.py (the class
/// it picked and the pipeline it ended with are recorded there too). Folders without tokenizer_config.json included:
/// AutoTokenizer then picks the class by config.json's model_type, and so does HfTokenizer.Load.
/// </summary>
public sealed class TransformersRuleTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tokenizers");

    private static string[] Variants() => Directory.Exists(Root)
        ? Directory.GetDirectories(Root).Where(d => File.Exists(Path.Combine(d, "expected.json"))).Order(StringComparer.Ordinal).ToArray()
        : [];

    [SkippableFact]
    public void The_llama_2_rule_and_both_readings_are_recorded()
    {
        Skip.If(Variants().Length == 0, "no Tests/Fixtures/tokenizers/*/expected.json yet: run make_expected.py there with transformers 5.17");
        var (transformers, library) = IdsOf("llama2", "hello</s>hello");
        Assert.NotEqual(transformers, library); // LlamaTokenizer's Metaspace "first" against the file's Prepend
        var (legacyTransformers, legacyLibrary) = IdsOf("llama2-legacy", "hello</s>hello");
        Assert.Equal(legacyLibrary, legacyTransformers);
    }

    [SkippableFact]
    public void Every_variant_tokenizes_and_decodes_as_transformers()
    {
        var variants = Variants();
        Skip.If(variants.Length == 0, "no Tests/Fixtures/tokenizers/*/expected.json yet: run make_expected.py there with transformers 5.17");
        var wrong = new List<string>();
        foreach (var dir in variants)
        {
            using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected.json")));
            var root = expected.RootElement;
            var name = Path.GetFileName(dir);
            if (root.TryGetProperty("error", out var error)) { wrong.Add($"{name}: transformers failed: {error.GetString()}"); continue; }
            var tokenizer = HfTokenizer.Load(dir);
            foreach (var s in root.GetProperty("samples").EnumerateArray())
            {
                var text = s.GetProperty("text").GetString()!;
                var ids = Ids(s, "ids");
                Check(wrong, name, text, "ids", ids, tokenizer.Encode(text));
                Check(wrong, name, text, "ids_no_special", Ids(s, "ids_no_special"), tokenizer.Encode(text, addSpecialTokens: false));
                Check(wrong, name, text, "decoded", s.GetProperty("decoded").GetString(), tokenizer.Decode(ids, skipSpecialTokens: false));
                Check(wrong, name, text, "decoded_skip_special", s.GetProperty("decoded_skip_special").GetString(), tokenizer.Decode(ids));
            }
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} differ from transformers:\n" + string.Join("\n", wrong.Take(40)));
    }

    private static (int[] Transformers, int[] Library) IdsOf(string variant, string text)
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, variant, "expected.json")));
        var s = expected.RootElement.GetProperty("samples").EnumerateArray().Single(x => x.GetProperty("text").GetString() == text);
        return (Ids(s, "ids"), Ids(s, "tokenizers_ids"));
    }

    private static int[] Ids(JsonElement sample, string name) => sample.GetProperty(name).EnumerateArray().Select(i => i.GetInt32()).ToArray();

    private static void Check<T>(List<string> wrong, string variant, string text, string what, T expected, T actual)
    {
        var same = expected is int[] e && actual is int[] a ? e.SequenceEqual(a) : Equals(expected, actual);
        if (!same) wrong.Add($"{variant} {JsonSerializer.Serialize(text)} {what}: want {Show(expected)}, got {Show(actual)}");
    }

    private static string Show<T>(T value) => value is int[] ids ? $"[{string.Join(", ", ids)}]" : JsonSerializer.Serialize(value);
}

using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>Builds the tokenizer.json normalizer as a string transform, applied to each span between added tokens.</summary>
internal static class Normalizers
{
    private const string Supported = "Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Lowercase, Strip";

    public static Func<string, string> FromJson(JsonElement? json)
    {
        if (json is not { } n) return s => s;
        var type = n.TypeTag("normalizer");
        return type switch
        {
            "Sequence" => Chain(n.Items("normalizers").Select(c => FromJson(c)).ToArray()),
            // Prepend leaves an empty span empty, so text made only of added tokens gains no "▁".
            "Prepend" => Prepend(n.Str("prepend") ?? ""),
            "Replace" => Replace(n),
            "NFC" => s => UnicodeNormalization.Normalize(s, NormalizationForm.FormC),
            "NFD" => s => UnicodeNormalization.Normalize(s, NormalizationForm.FormD),
            "NFKC" => s => UnicodeNormalization.Normalize(s, NormalizationForm.FormKC),
            "NFKD" => s => UnicodeNormalization.Normalize(s, NormalizationForm.FormKD),
            "Lowercase" => s => s.ToLowerInvariant(),
            "Strip" => Strip(n.Bool("strip_left", true), n.Bool("strip_right", true)),
            _ => throw JsonRead.Unsupported("normalizer", type, Supported),
        };
    }

    private static Func<string, string> Chain(Func<string, string>[] steps) =>
        s => steps.Aggregate(s, (text, step) => step(text));

    private static Func<string, string> Prepend(string prefix) => s => s.Length == 0 ? s : prefix + s;

    private static Func<string, string> Replace(JsonElement n)
    {
        var regex = Patterns.Compile(n.PatternRegex("pattern"));
        var content = n.Str("content") ?? "";
        // An evaluator keeps "$" in the content literal, as HF treats it.
        return s => regex.Replace(s, _ => content);
    }

    private static Func<string, string> Strip(bool left, bool right) =>
        s => (left, right) switch
        {
            (true, true) => s.Trim(),
            (true, false) => s.TrimStart(),
            (false, true) => s.TrimEnd(),
            _ => s,
        };
}

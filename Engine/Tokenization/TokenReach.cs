using System.Text.Json;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// How many characters (UTF-16 units) of input one token can stand for at most, read from tokenizer.json: a text
/// longer than n times that cannot be n tokens, which lets a caller refuse an oversized prompt without tokenizing it.
/// Null where a component can make text vanish (Strip, a Replace by less or by a regex, a split that removes, added
/// tokens that swallow whitespace, unknown characters dropped or fused), since then no such bound exists.
/// </summary>
internal static class TokenReach
{
    /// <summary>
    /// NFC and NFKC compose at most 4 code points (the longest canonical decomposition) into one, and a code point is at
    /// most 2 units; NFD and NFKD never make fewer code points, so only a pair becoming one unit shrinks the text.
    /// </summary>
    private const int ComposeFactor = 8, DecomposeFactor = 2;

    public static int? MaxChars(JsonElement root, BpeModel model, IReadOnlyCollection<AddedToken> added)
    {
        if (added.Any(t => t.LStrip || t.RStrip)) return null;
        var byteLevel = HasByteLevel(root.Child("pre_tokenizer"));
        var longest = model.LongestToken(byteLevel);
        var norm = NormalizerFactor(root.Child("normalizer"));
        var pre = PreTokenizerFactor(root.Child("pre_tokenizer"));
        if (longest is not { } l || norm is not { } n || pre is not { } p) return null;
        // An unknown character of two units may be one short token ("<unk>" is 5, "?" would be 1).
        var reach = (long)Math.Max(2, Math.Max(l, added.Select(t => t.Content.Length).DefaultIfEmpty(0).Max())) * n * p;
        return reach <= int.MaxValue ? (int)reach : null;
    }

    private static long? NormalizerFactor(JsonElement? json)
    {
        if (json is not { } n) return 1;
        return n.Str("type") switch
        {
            "Sequence" => Product(n.Items("normalizers").Select(c => NormalizerFactor(c))),
            "Prepend" or "Lowercase" => 1,
            "NFC" or "NFKC" => ComposeFactor,
            "NFD" or "NFKD" => DecomposeFactor,
            "Replace" => ReplaceFactor(n),
            _ => null,
        };
    }

    /// <summary>A literal replaced by content of c units: every c units of output stood for at most the literal's.</summary>
    private static long? ReplaceFactor(JsonElement n)
    {
        var literal = n.Child("pattern")?.Str("String");
        var content = n.Str("content") ?? "";
        if (literal is null || content.Length == 0) return literal == "" ? 1 : null;
        return Math.Max(1, (literal.Length + content.Length - 1) / content.Length);
    }

    private static long? PreTokenizerFactor(JsonElement? json)
    {
        if (json is not { } p) return 1;
        return p.Str("type") switch
        {
            "Sequence" => Product(p.Items("pretokenizers").Select(c => PreTokenizerFactor(c))),
            "Split" => p.Str("behavior") == "Removed" ? null : 1,
            "Metaspace" => (p.Str("replacement") ?? "▁").Length > 0 ? 1 : null,
            // ByteLevel writes each unit as at least one byte char; Digits only cuts.
            "ByteLevel" or "Digits" => 1,
            _ => null,
        };
    }

    /// <summary>Whether the pieces reaching the model are byte-level characters (GPT-2's alphabet) only.</summary>
    private static bool HasByteLevel(JsonElement? json) => json is { } p && (p.Str("type") == "ByteLevel"
        || (p.Str("type") == "Sequence" && p.Items("pretokenizers").Any(c => HasByteLevel(c))));

    private static long? Product(IEnumerable<long?> factors)
    {
        long product = 1;
        foreach (var f in factors)
        {
            if (f is not { } v) return null;
            product = Math.Min(product * v, int.MaxValue);
        }
        return product;
    }
}

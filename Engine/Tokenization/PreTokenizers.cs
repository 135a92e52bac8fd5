using System.Text.Json;
using System.Text.RegularExpressions;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// Builds the tokenizer.json pre_tokenizer as a function that splits (and may rewrite) pieces, lazily: Encode with a token
/// limit stops pulling pieces once the limit is passed.
/// </summary>
internal static class PreTokenizers
{
    private const string Supported = "Sequence, Split, ByteLevel, Metaspace, Digits";

    // GPT-2's pattern, used by ByteLevel when use_regex is true.
    private static readonly Lazy<Regex> Gpt2Regex = new(() => Patterns.Compile(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"));

    public static Func<IEnumerable<PreToken>, IEnumerable<PreToken>> FromJson(JsonElement? json)
    {
        if (json is not { } p) return pieces => pieces;
        var type = p.TypeTag("pre_tokenizer");
        return type switch
        {
            "Sequence" => Chain(p.Items("pretokenizers").Select(c => FromJson(c)).ToArray()),
            "Split" => Split(p),
            "ByteLevel" => ByteLevel(p.Bool("add_prefix_space", true), p.Bool("use_regex", true)),
            "Metaspace" => Metaspace(p),
            "Digits" => EachPiece(SplitBy(Patterns.Compile(p.Bool("individual_digits", false) ? @"\p{N}" : @"\p{N}+"), "Isolated", false)),
            _ => throw JsonRead.Unsupported("pre_tokenizer", type, Supported),
        };
    }

    private static Func<IEnumerable<PreToken>, IEnumerable<PreToken>> Chain(
        Func<IEnumerable<PreToken>, IEnumerable<PreToken>>[] steps) =>
        pieces => steps.Aggregate(pieces, (current, step) => step(current));

    private static Func<IEnumerable<PreToken>, IEnumerable<PreToken>> EachPiece(Func<PreToken, IEnumerable<PreToken>> split) =>
        pieces => pieces.SelectMany(split).Where(t => t.Text.Length > 0);

    private static Func<PreToken, IEnumerable<PreToken>> SplitBy(Regex regex, string behavior, bool invert) =>
        piece => Patterns.Split(piece.Text, regex, behavior, invert)
            .Select(s => new PreToken(piece.Text[s.Start..s.End], piece.AtInputStart && s.Start == 0));

    private static Func<IEnumerable<PreToken>, IEnumerable<PreToken>> Split(JsonElement p)
    {
        var regex = Patterns.Compile(p.PatternRegex("pattern"));
        var behavior = p.Str("behavior") ?? "Isolated";
        Patterns.CheckBehavior(behavior);
        return EachPiece(SplitBy(regex, behavior, p.Bool("invert", false)));
    }

    /// <summary>Optional GPT-2 split, then each piece's UTF-8 bytes become the printable byte-level chars.</summary>
    private static Func<IEnumerable<PreToken>, IEnumerable<PreToken>> ByteLevel(bool addPrefixSpace, bool useRegex)
    {
        return EachPiece(piece =>
        {
            if (addPrefixSpace && !piece.Text.StartsWith(' ')) piece = piece with { Text = " " + piece.Text };
            var parts = useRegex ? SplitBy(Gpt2Regex.Value, "Isolated", false)(piece) : [piece];
            return parts.Select(t => t with { Text = ByteLevelAlphabet.Encode(t.Text) });
        });
    }

    /// <summary>SentencePiece style: spaces become "▁", a "▁" is prepended per the scheme, optional split before each "▁".</summary>
    private static Func<IEnumerable<PreToken>, IEnumerable<PreToken>> Metaspace(JsonElement p)
    {
        var replacement = p.Str("replacement") ?? "▁";
        var scheme = MetaspaceScheme(p);
        var splitter = p.Bool("split", true) ? SplitBy(Patterns.Compile(Regex.Escape(replacement)), "MergedWithNext", false) : null;
        return EachPiece(piece =>
        {
            var text = piece.Text.Replace(" ", replacement, StringComparison.Ordinal);
            var prepend = scheme == "always" || (scheme == "first" && piece.AtInputStart);
            if (prepend && !text.StartsWith(replacement, StringComparison.Ordinal)) text = replacement + text;
            var rewritten = piece with { Text = text };
            return splitter is null ? [rewritten] : splitter(rewritten);
        });
    }

    /// <summary>Older files carry add_prefix_space instead of prepend_scheme.</summary>
    public static string MetaspaceScheme(JsonElement p) =>
        p.Str("prepend_scheme") ?? (p.Bool("add_prefix_space", true) ? "always" : "never");
}

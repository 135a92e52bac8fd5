using System.Text.Json.Nodes;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// The pipelines transformers 5's classes build around tokenizer.json's vocabulary and merges (models/*/tokenization_*.py),
/// replacing the file's normalizer, pre-tokenizer and decoder; the post-processor and added tokens stay the file's.
/// <list type="bullet">
/// <item>LlamaTokenizer (Llama 2 and other checkpoints that name it): no normalizer; Metaspace, unsplit, prepending one
/// "▁" by prepend_scheme. That settles the Llama 2 rule after a special token. Converted files carry Prepend("▁") +
/// Replace(" ", "▁"), which the tokenizers library applies to every span between added tokens (<c>&lt;s&gt;[INST]</c>
/// gives <c>&lt;s&gt;</c>, <c>▁[</c>, ...); with legacy false (the class's default) the scheme is "first": "▁" only before
/// the span that starts the input (<c>&lt;s&gt;</c>, <c>[</c>, ...), and a leading space is the word's one "▁" (" hi" is
/// <c>▁hi</c>, not <c>▁▁hi</c>). legacy true gives "always" (every span, unless it starts with a space), add_prefix_space
/// false gives "never" and a decoder that strips no leading space.</item>
/// <item>GemmaTokenizer: Replace(" ", "▁") and no prefix, whatever the file had; no Strip when decoding.</item>
/// <item>Qwen2Tokenizer (Qwen2, Qwen3): NFC, Qwen's split pattern, byte-level without its own regex.</item>
/// </list>
/// A file of the other kind (a byte-level one under LlamaTokenizer, say) keeps its pipeline: transformers would force
/// the class's on it and break it, as DeepSeek-V3's users found.
/// </summary>
internal static class ClassPipelines
{
    private const string Space = "\u2581";

    private const string QwenPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Rewrites the pipeline in place; false when the class builds nothing for a file of this kind.</summary>
    public static bool Rewrite(JsonObject tokenizer, TokenizerClassKind kind, TokenizerConfig config) => kind switch
    {
        TokenizerClassKind.Llama when IsSentencePieceStyle(tokenizer) => Llama(tokenizer, config),
        TokenizerClassKind.Gemma when IsSentencePieceStyle(tokenizer) => Gemma(tokenizer),
        TokenizerClassKind.Qwen2 when Mentions(tokenizer["pre_tokenizer"], "ByteLevel") => Qwen2(tokenizer, config),
        _ => false,
    };

    private static bool Llama(JsonObject tokenizer, TokenizerConfig config)
    {
        var addPrefixSpace = config.AddPrefixSpace ?? true;
        var scheme = !addPrefixSpace ? "never" : config.Legacy == true ? "always" : "first";
        tokenizer["normalizer"] = null;
        tokenizer["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = Space, ["prepend_scheme"] = scheme, ["split"] = false };
        tokenizer["decoder"] = SpaceDecoder(strip: addPrefixSpace);
        return true;
    }

    private static bool Gemma(JsonObject tokenizer)
    {
        tokenizer["normalizer"] = new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = Space };
        // Split on " " after every space became "▁" cuts nothing; kept as the class writes it.
        tokenizer["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Split", ["pattern"] = new JsonObject { ["String"] = " " }, ["behavior"] = "MergedWithPrevious", ["invert"] = false,
        };
        tokenizer["decoder"] = SpaceDecoder(strip: false);
        return true;
    }

    private static bool Qwen2(JsonObject tokenizer, TokenizerConfig config)
    {
        tokenizer["normalizer"] = new JsonObject { ["type"] = "NFC" };
        tokenizer["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = QwenPattern }, ["behavior"] = "Isolated", ["invert"] = false,
                },
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = config.AddPrefixSpace ?? false, ["use_regex"] = false }),
        };
        tokenizer["decoder"] = new JsonObject { ["type"] = "ByteLevel" };
        return true;
    }

    private static JsonObject SpaceDecoder(bool strip)
    {
        var steps = new JsonArray(
            new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = Space }, ["content"] = " " },
            new JsonObject { ["type"] = "ByteFallback" },
            new JsonObject { ["type"] = "Fuse" });
        if (strip) steps.Add(new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 });
        return new JsonObject { ["type"] = "Sequence", ["decoders"] = steps };
    }

    /// <summary>A BPE with byte fallback and no byte-level step: what converted SentencePiece models are.</summary>
    private static bool IsSentencePieceStyle(JsonObject tokenizer) =>
        tokenizer["model"]?["byte_fallback"]?.GetValue<bool>() == true
        && !Mentions(tokenizer["pre_tokenizer"], "ByteLevel") && !Mentions(tokenizer["decoder"], "ByteLevel");

    private static bool Mentions(JsonNode? node, string type) => node switch
    {
        JsonObject o => (o["type"] is JsonValue v && v.TryGetValue<string>(out var t) && t == type) || o.Any(p => Mentions(p.Value, type)),
        JsonArray a => a.Any(n => Mentions(n, type)),
        _ => false,
    };
}

using System.Text.Json.Nodes;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// The pipeline transformers 5's LlamaTokenizer builds around tokenizer.json's vocab and merges (Llama 2, Mistral and
/// Phi-3 checkpoints name that class): no normalizer; a Metaspace pre-tokenizer that turns spaces into "▁" and prepends
/// one "▁" by prepend_scheme, unsplit; a decoder that undoes it. tokenizer.json's own normalizer (Prepend("▁") then
/// Replace(" ", "▁") in converted files) is dropped, and that settles the rule users see after a special token:
/// <list type="bullet">
/// <item>legacy false (the class's default): prepend_scheme "first", "▁" only before the span that starts the input.
/// <c>&lt;s&gt;[INST] hi</c> is <c>&lt;s&gt;</c>, <c>[</c>, ...; " hi" is "▁hi", not "▁▁hi".</item>
/// <item>legacy true: "always", every span after an added token gets its "▁" (as the tokenizers library's Prepend gives,
/// except that a span already starting with a space or "▁" gains none).</item>
/// <item>add_prefix_space false: "never", and the decoder strips no leading space.</item>
/// </list>
/// The tokenizers library, reading tokenizer.json alone, prepends "▁" to every span: that is <see cref="HfTokenizer.FromJson(string)"/>;
/// <see cref="HfTokenizer.Load"/> follows transformers, which is what users compare against. A byte-level tokenizer.json
/// under this class keeps its pipeline: transformers would force Metaspace on it and break it.
/// </summary>
internal static class SentencePiecePipeline
{
    private const string Space = "\u2581";

    /// <summary>Rewrites the pipeline in place; false when tokenizer.json is not SentencePiece-style and stays as it is.</summary>
    public static bool Rewrite(JsonObject tokenizer, TokenizerConfig config)
    {
        if (!IsSentencePieceStyle(tokenizer)) return false;
        var addPrefixSpace = config.AddPrefixSpace ?? true;
        var scheme = !addPrefixSpace ? "never" : config.Legacy == true ? "always" : "first";
        tokenizer["normalizer"] = null;
        tokenizer["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Metaspace", ["replacement"] = Space, ["prepend_scheme"] = scheme, ["split"] = false,
        };
        var decoders = new JsonArray(
            new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = Space }, ["content"] = " " },
            new JsonObject { ["type"] = "ByteFallback" },
            new JsonObject { ["type"] = "Fuse" });
        if (addPrefixSpace) decoders.Add(new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 });
        tokenizer["decoder"] = new JsonObject { ["type"] = "Sequence", ["decoders"] = decoders };
        return true;
    }

    /// <summary>A BPE with byte fallback and no byte-level step: what converted SentencePiece models are.</summary>
    private static bool IsSentencePieceStyle(JsonObject tokenizer) =>
        tokenizer["model"]?["byte_fallback"]?.GetValue<bool>() == true
        && !Mentions(tokenizer["pre_tokenizer"], "ByteLevel") && !Mentions(tokenizer["decoder"], "ByteLevel");

    private static bool Mentions(JsonNode? node, string type) => node switch
    {
        JsonObject o => o["type"]?.GetValue<string>() == type || o.Any(p => Mentions(p.Value, type)),
        JsonArray a => a.Any(n => Mentions(n, type)),
        _ => false,
    };
}

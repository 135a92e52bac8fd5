using System.Text.Json.Nodes;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// add_bos_token / add_eos_token as transformers 5 honours them (TokenizersBackend.update_post_processor): when
/// tokenizer_config.json gives either flag (or the class passes its own default, as GemmaTokenizer does), or when
/// tokenizer.json has no post_processor, the post_processor is replaced by a TemplateProcessing of
/// [bos] $A [eos] built from the flags, a flag left out counting as false. So where the two files disagree the flags
/// win: a tokenizer.json that adds &lt;s&gt; under add_bos_token false adds nothing, and one without a post_processor
/// gains &lt;/s&gt; under add_eos_token true. With neither flag, tokenizer.json's post_processor stands as written. A flag
/// whose token is not named (bos_token null) adds nothing.
/// </summary>
internal static class SpecialTokenTemplate
{
    /// <summary>The post_processor transformers ends with, or null when tokenizer.json's stands.</summary>
    public static JsonObject? Rewrite(JsonObject tokenizer, TokenizerConfig config, TokenizerClass cls)
    {
        var explicitFlags = config.AddBosToken is not null || config.AddEosToken is not null || cls.AddBos is not null || cls.AddEos is not null;
        if (!explicitFlags && tokenizer["post_processor"] is not null) return null;
        var bos = (config.AddBosToken ?? cls.AddBos ?? false) ? config.BosToken ?? cls.Bos : null;
        var eos = (config.AddEosToken ?? cls.AddEos ?? false) ? config.EosToken ?? cls.Eos : null;
        var single = new JsonArray();
        var specials = new JsonObject();
        if (bos is not null) Add(single, specials, tokenizer, bos);
        single.Add(new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } });
        if (eos is not null) Add(single, specials, tokenizer, eos);
        return new JsonObject { ["type"] = "TemplateProcessing", ["single"] = single, ["pair"] = new JsonArray(), ["special_tokens"] = specials };
    }

    private static void Add(JsonArray single, JsonObject specials, JsonObject tokenizer, string token)
    {
        single.Add(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = token, ["type_id"] = 0 } });
        specials[token] = new JsonObject { ["id"] = token, ["ids"] = new JsonArray(IdOf(tokenizer, token)), ["tokens"] = new JsonArray(token) };
    }

    /// <summary>
    /// transformers would add a missing token to the vocabulary with a new id, one the model has no embedding for: a
    /// folder like that is refused instead.
    /// </summary>
    private static int IdOf(JsonObject tokenizer, string token)
    {
        foreach (var added in tokenizer["added_tokens"]?.AsArray() ?? [])
            if (added?["content"]?.GetValue<string>() == token) return added["id"]!.GetValue<int>();
        if (tokenizer["model"]?["vocab"] is JsonObject vocab && vocab[token] is { } id) return id.GetValue<int>();
        throw new TokenizerException($"tokenizer_config.json asks to add '{token}', which tokenizer.json does not have");
    }
}

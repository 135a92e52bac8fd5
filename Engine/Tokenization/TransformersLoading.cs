using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// tokenizer.json as transformers 5's AutoTokenizer ends with it once tokenizer_config.json has had its say: the class
/// may rebuild a SentencePiece pipeline (<see cref="SentencePiecePipeline"/>) and add_bos_token / add_eos_token may
/// replace the post-processor (<see cref="SpecialTokenTemplate"/>). Added tokens are tokenizer.json's: transformers
/// takes them from tokenizer_config.json's added_tokens_decoder, which lists the same ones in folders it saved.
/// A folder without tokenizer_config.json is read as tokenizer.json says (AutoTokenizer would pick a class by
/// config.json's model_type; every released checkpoint names its class, and the family fixtures' samples were made
/// from tokenizer.json alone).
/// </summary>
internal static class TransformersLoading
{
    /// <summary>The rewritten tokenizer.json, or null when transformers would use it unchanged.</summary>
    public static string? Apply(string tokenizerJson, TokenizerConfig config)
    {
        var cls = TokenizerClass.Of(config.ClassName);
        // Without flags, a class that changes nothing can only turn a missing post_processor into "$A": no change.
        if (!cls.RebuildsSentencePiece && cls.AddBos is null && cls.AddEos is null && config.AddBosToken is null && config.AddEosToken is null)
            return null;
        JsonObject root;
        try
        {
            if (JsonNode.Parse(tokenizerJson) is not JsonObject o) return null;
            root = o;
        }
        catch (JsonException)
        {
            return null; // HfTokenizer.FromJson reports it
        }
        var changed = cls.RebuildsSentencePiece && SentencePiecePipeline.Rewrite(root, config);
        if (SpecialTokenTemplate.Rewrite(root, config, cls) is { } post)
        {
            root["post_processor"] = post;
            changed = true;
        }
        return changed ? root.ToJsonString() : null;
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// tokenizer.json as transformers 5.17's AutoTokenizer ends with it: the class it picks (<see cref="TokenizerClass"/>)
/// may rebuild the normalizer, pre-tokenizer and decoder (<see cref="ClassPipelines"/>). What it keeps from the file:
/// the vocabulary, merges, added tokens and post_processor. So add_bos_token / add_eos_token in tokenizer_config.json
/// change nothing: where they disagree with tokenizer.json's post_processor, the post_processor wins (a TemplateProcessing
/// adding &lt;s&gt; still adds it under add_bos_token false; add_eos_token true adds no &lt;/s&gt;, with or without a
/// post_processor), as Tests/Fixtures/tokenizers' llama2-nobos, llama2-eos, llama2-nopost-eos, fastclass-eos and
/// qwen3-eos record. (TokenizersBackend.update_post_processor would rebuild it from the flags, but from_pretrained
/// does not hand them to it.)
/// </summary>
internal static class TransformersLoading
{
    /// <summary>The rewritten tokenizer.json, or null when transformers uses it unchanged.</summary>
    public static string? Apply(string tokenizerJson, TokenizerConfig config)
    {
        var kind = TokenizerClass.Of(config);
        if (kind == TokenizerClassKind.AsWritten) return null;
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
        return ClassPipelines.Rewrite(root, kind, config) ? root.ToJsonString() : null;
    }
}

using System.Text.Json;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// What a model folder says about loading its tokenizer beside tokenizer.json, as transformers 5's AutoTokenizer reads
/// it: tokenizer_config.json's tokenizer_class and the SentencePiece flags legacy and add_prefix_space, and config.json's
/// model_type, which can overrule the class (<see cref="TokenizerClass"/>). add_bos_token and add_eos_token are not read:
/// transformers 5.17 does not let them change the ids (tokenizer.json's post_processor decides; see
/// <see cref="TransformersLoading"/>).
/// </summary>
public sealed record TokenizerConfig(string? TokenizerClass, bool? Legacy, bool? AddPrefixSpace, string? ModelType = null)
{
    public static readonly TokenizerConfig None = new(null, null, null);

    /// <summary>The model folder's tokenizer_config.json and config.json, each optional.</summary>
    public static TokenizerConfig Load(string modelDir)
    {
        var path = Path.Combine(modelDir, "tokenizer_config.json");
        var config = File.Exists(path) ? FromJson(File.ReadAllText(path)) : None;
        var modelConfig = Path.Combine(modelDir, "config.json");
        return File.Exists(modelConfig) ? config with { ModelType = Parse(File.ReadAllText(modelConfig), "config.json").Str("model_type") } : config;
    }

    /// <summary>tokenizer_config.json's text.</summary>
    public static TokenizerConfig FromJson(string json, string? modelType = null)
    {
        var c = Parse(json, "tokenizer_config.json");
        return new TokenizerConfig(c.Str("tokenizer_class"), Flag(c, "legacy"), Flag(c, "add_prefix_space"), modelType);
    }

    private static JsonElement Parse(string json, string file)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                ? doc.RootElement.Clone()
                : throw new TokenizerException($"{file} must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"{file} is not valid JSON: {e.Message}");
        }
    }

    private static bool? Flag(JsonElement c, string name) => c.Child(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        var v => throw new TokenizerException($"tokenizer_config.json: {name} must be true or false, got {v.Value.GetRawText()}"),
    };
}

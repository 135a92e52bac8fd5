using System.Text.Json;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// What tokenizer_config.json says about tokenizing, beside tokenizer.json: the transformers class that loads it, the
/// add_bos_token / add_eos_token flags (null when absent: absent and false differ, see <see cref="SpecialTokenTemplate"/>),
/// the special tokens they name, and the SentencePiece flags legacy and add_prefix_space.
/// </summary>
public sealed record TokenizerConfig(
    string? TokenizerClass, bool? AddBosToken, bool? AddEosToken, string? BosToken, string? EosToken, bool? Legacy, bool? AddPrefixSpace)
{
    public static readonly TokenizerConfig None = new(null, null, null, null, null, null, null);

    /// <summary>The class without its "Fast" suffix: transformers 5 has one class per tokenizer and maps the old names to it.</summary>
    public string? ClassName => TokenizerClass is { } c && c != "PreTrainedTokenizerFast" && c.EndsWith("Fast", StringComparison.Ordinal)
        ? c[..^4] : TokenizerClass;

    /// <summary>
    /// The model folder's tokenizer_config.json (<see cref="None"/> when it has none); bos and eos tokens it does not name
    /// come from special_tokens_map.json, as transformers reads older folders.
    /// </summary>
    public static TokenizerConfig Load(string modelDir)
    {
        var path = Path.Combine(modelDir, "tokenizer_config.json");
        var config = File.Exists(path) ? FromJson(File.ReadAllText(path)) : None;
        var mapPath = Path.Combine(modelDir, "special_tokens_map.json");
        if (config == None || (config.BosToken is not null && config.EosToken is not null) || !File.Exists(mapPath)) return config;
        var map = FromJson(File.ReadAllText(mapPath));
        return config with { BosToken = config.BosToken ?? map.BosToken, EosToken = config.EosToken ?? map.EosToken };
    }

    public static TokenizerConfig FromJson(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var c = doc.RootElement;
            if (c.ValueKind != JsonValueKind.Object) throw new TokenizerException("tokenizer_config.json must be a JSON object");
            return new TokenizerConfig(c.Str("tokenizer_class"), Flag(c, "add_bos_token"), Flag(c, "add_eos_token"),
                Token(c, "bos_token"), Token(c, "eos_token"), Flag(c, "legacy"), Flag(c, "add_prefix_space"));
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"tokenizer_config.json is not valid JSON: {e.Message}");
        }
    }

    private static bool? Flag(JsonElement c, string name) => c.Child(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        var v => throw new TokenizerException($"tokenizer_config.json: {name} must be true or false, got {v.Value.GetRawText()}"),
    };

    /// <summary>A special token is written as its text or as an added-token object with "content".</summary>
    private static string? Token(JsonElement c, string name) => c.Child(name) switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Object } o => o.Str("content"),
        _ => null,
    };
}

using System.Text.Json;

namespace OrleansLlm.Engine.Chat;

/// <summary>
/// What a model folder says about chatting with it, read as transformers reads it: the chat template
/// (<c>chat_template.jinja</c>, else <c>chat_template</c> in tokenizer_config.json, a string or a list whose
/// "default" entry is taken) and the special tokens templates see (<c>bos_token</c>, <c>eos_token</c>, ...).
/// </summary>
public sealed class ModelChat
{
    private static readonly string[] TokenNames = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

    private ModelChat(string? template, IReadOnlyDictionary<string, string> specialTokens)
    {
        TemplateSource = template;
        SpecialTokens = specialTokens;
    }

    /// <summary>The template's Jinja source; null when the model has none.</summary>
    public string? TemplateSource { get; }

    public IReadOnlyDictionary<string, string> SpecialTokens { get; }

    public static ModelChat Load(string modelDir)
    {
        var config = ReadJson(Path.Combine(modelDir, "tokenizer_config.json"));
        var map = ReadJson(Path.Combine(modelDir, "special_tokens_map.json"));
        var tokens = new Dictionary<string, string>();
        foreach (var name in TokenNames)
            if ((TokenText(config, name) ?? TokenText(map, name)) is { } text) tokens[name] = text;
        var file = Path.Combine(modelDir, "chat_template.jinja");
        var template = File.Exists(file) ? File.ReadAllText(file) : TemplateOf(config);
        return new ModelChat(template, tokens);
    }

    private static string? TemplateOf(JsonElement? config)
    {
        if (config is not { ValueKind: JsonValueKind.Object } c || !c.TryGetProperty("chat_template", out var t)) return null;
        if (t.ValueKind == JsonValueKind.String) return t.GetString();
        if (t.ValueKind != JsonValueKind.Array) return null;
        foreach (var named in t.EnumerateArray())
            if (named.TryGetProperty("name", out var n) && n.GetString() == "default") return named.GetProperty("template").GetString();
        throw new ChatTemplateException("tokenizer_config.json has several chat templates and none named 'default'");
    }

    /// <summary>A special token is written as its text or as an added-token object with "content".</summary>
    private static string? TokenText(JsonElement? json, string name)
    {
        if (json is not { ValueKind: JsonValueKind.Object } o || !o.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
            _ => null,
        };
    }

    private static JsonElement? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ChatTemplateException($"{Path.GetFileName(path)} is not valid JSON: {e.Message}");
        }
    }
}

using System.Text.Json;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>An entry of tokenizer.json's added_tokens: text matched whole, before normalization or after it.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool Normalized, bool LStrip, bool RStrip, bool SingleWord)
{
    public static AddedToken FromJson(JsonElement t) => new(
        t.Child("id")?.GetInt32() ?? throw new TokenizerException($"added token {t.GetRawText()} has no id"),
        t.Str("content") ?? "",
        t.Bool("special", false),
        t.Bool("normalized", !t.Bool("special", false)),
        t.Bool("lstrip", false),
        t.Bool("rstrip", false),
        t.Bool("single_word", false));
}

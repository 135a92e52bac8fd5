using System.Text.Json;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>Lenient reads of tokenizer.json fields: absent and JSON null both mean "use the default".</summary>
internal static class JsonRead
{
    public static JsonElement? Child(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? v
            : null;

    public static string? Str(this JsonElement e, string name) => e.Child(name)?.GetString();

    public static bool Bool(this JsonElement e, string name, bool fallback) => e.Child(name)?.GetBoolean() ?? fallback;

    public static int Int(this JsonElement e, string name, int fallback) => e.Child(name)?.GetInt32() ?? fallback;

    public static IEnumerable<JsonElement> Items(this JsonElement e, string name) =>
        e.Child(name) is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray() : [];

    /// <summary>The "type" tag of a component; <paramref name="what"/> names the component in the error.</summary>
    public static string TypeTag(this JsonElement e, string what) =>
        e.Str("type") ?? throw new TokenizerException($"{what} in tokenizer.json has no 'type'");

    /// <summary>HF patterns are tagged unions: {"String": " "} is literal, {"Regex": "..."} is a regex.</summary>
    public static string PatternRegex(this JsonElement e, string name)
    {
        var pattern = e.Child(name) ?? throw new TokenizerException($"'{name}' is missing in tokenizer.json");
        if (pattern.Str("String") is { } literal) return System.Text.RegularExpressions.Regex.Escape(literal);
        return pattern.Str("Regex") ?? throw new TokenizerException($"'{name}' must have a 'String' or 'Regex' value");
    }

    public static TokenizerException Unsupported(string what, string type, string supported) =>
        new($"unsupported {what} type '{type}' (supported: {supported})");
}

using System.Text.Json;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>Builds the tokenizer.json post_processor: what Encode adds around the ids when asked for special tokens.</summary>
internal static class PostProcessors
{
    private const string Supported = "TemplateProcessing, ByteLevel, Sequence";

    public static Func<List<int>, List<int>> FromJson(JsonElement? json)
    {
        if (json is not { } p) return ids => ids;
        var type = p.TypeTag("post_processor");
        return type switch
        {
            "Sequence" => Chain(p.Items("processors").Select(c => FromJson(c)).ToArray()),
            // ByteLevel only trims offsets, which we do not return.
            "ByteLevel" => ids => ids,
            "TemplateProcessing" => Template(p),
            _ => throw JsonRead.Unsupported("post_processor", type, Supported),
        };
    }

    private static Func<List<int>, List<int>> Chain(Func<List<int>, List<int>>[] steps) =>
        ids => steps.Aggregate(ids, (current, step) => step(current));

    /// <summary>
    /// The "single" template, e.g. [{"SpecialToken": {"id": "&lt;s&gt;"}}, {"Sequence": {"id": "A"}}];
    /// each special token expands to the ids listed under special_tokens.
    /// </summary>
    private static Func<List<int>, List<int>> Template(JsonElement p)
    {
        var parts = new List<int[]?>(); // null marks where the input sequence goes
        foreach (var item in p.Items("single"))
        {
            if (item.Child("Sequence") is not null) { parts.Add(null); continue; }
            var name = item.Child("SpecialToken")?.Str("id")
                ?? throw new TokenizerException($"unsupported TemplateProcessing item {item.GetRawText()}");
            var special = p.Child("special_tokens")?.Child(name)
                ?? throw new TokenizerException($"TemplateProcessing uses '{name}', which is not in its special_tokens");
            parts.Add(special.Items("ids").Select(i => i.GetInt32()).ToArray());
        }
        return ids =>
        {
            var result = new List<int>(ids.Count + parts.Count);
            foreach (var part in parts) result.AddRange(part ?? (IEnumerable<int>)ids);
            return result;
        };
    }
}

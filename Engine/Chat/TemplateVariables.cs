using System.Text.Json;

namespace OrleansLlm.Engine.Chat;

/// <summary>
/// A request's extra chat-template variables (vLLM's <c>chat_template_kwargs</c>, e.g. Qwen3's <c>enable_thinking</c>),
/// carried as JSON text per name so that a request stays a plain string map on the wire, and read back as the values
/// Python's json.loads would hand the template: bool, long (a number without fraction or exponent), double, string or
/// null. Lists and objects are refused: no template we know of needs them from a request, and a scalar cannot smuggle
/// a conversation past the checks made on messages.
/// </summary>
public static class TemplateVariables
{
    /// <summary>Variables the renderer sets from the request itself; a request cannot replace them.</summary>
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string> { "messages", "tools", "documents", "add_generation_prompt" };

    /// <exception cref="ChatTemplateException">A name is reserved, or a value is not the JSON of a scalar.</exception>
    public static Dictionary<string, object?> Parse(IReadOnlyDictionary<string, string>? jsonByName)
    {
        var variables = new Dictionary<string, object?>();
        if (jsonByName is null) return variables;
        foreach (var (name, json) in jsonByName)
        {
            if (Reserved.Contains(name))
                throw new ChatTemplateException($"chat template variable '{name}' is set by the request itself and cannot be given");
            variables[name] = Scalar(name, json);
        }
        return variables;
    }

    private static object? Scalar(string name, string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var e = doc.RootElement;
            return e.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                JsonValueKind.String => e.GetString(),
                JsonValueKind.Number when IsInteger(e.GetRawText()) && e.TryGetInt64(out var l) => l,
                JsonValueKind.Number => e.GetDouble(),
                _ => throw NotScalar(name, json),
            };
        }
        catch (JsonException)
        {
            throw NotScalar(name, json);
        }
    }

    private static bool IsInteger(string number) => number.IndexOfAny(['.', 'e', 'E']) < 0;

    private static ChatTemplateException NotScalar(string name, string json) =>
        new($"chat template variable '{name}' must be a bool, number, string or null, got {Shorten(json)}");

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}

using System.Text.Json;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// OpenAI's request fields as a <see cref="GenerateRequest"/>: sampling maps one to one, what has no counterpart here
/// (penalties on presence and frequency, n &gt; 1, log-probabilities, logit biases, tools) is refused by name.
/// </summary>
internal static class RequestMapping
{
    public static GenerateRequest Generation(GenerationFields f, string deploymentId)
    {
        Refuse(f);
        var max = f.MaxCompletionTokens ?? f.MaxTokens;
        if (max < 0) throw ApiError.BadRequest($"max_tokens must be 0 or more, got {max}", "max_tokens");
        return new GenerateRequest
        {
            DeploymentId = deploymentId,
            // Left out, OpenAI generates until the end of the sequence or of the context.
            MaxTokens = max ?? int.MaxValue,
            UpToContext = max is null,
            Temperature = f.Temperature ?? 1.0,
            TopP = f.TopP ?? 1.0,
            TopK = f.TopK ?? 0,
            MinP = f.MinP ?? 0,
            RepetitionPenalty = f.RepetitionPenalty ?? 1.0,
            Seed = f.Seed is { } seed ? unchecked((ulong)seed) : null,
            StopStrings = Strings(f.Stop, "stop"),
            IgnoreEos = f.IgnoreEos,
        };
    }

    private static void Refuse(GenerationFields f)
    {
        if (f.PresencePenalty is { } p && p != 0) throw ApiError.Unsupported("presence_penalty", "use repetition_penalty");
        if (f.FrequencyPenalty is { } q && q != 0) throw ApiError.Unsupported("frequency_penalty", "use repetition_penalty");
        if (f.N is { } n && n != 1) throw ApiError.BadRequest($"n must be 1 here, got {n}", "n");
        if (f.Logprobs.ValueKind is JsonValueKind.True or JsonValueKind.Number) throw ApiError.Unsupported("logprobs", "");
        if (f.LogitBias.ValueKind == JsonValueKind.Object && f.LogitBias.EnumerateObject().Any())
            throw ApiError.Unsupported("logit_bias", "");
    }

    /// <summary>A field that is absent, null, one string or a list of strings.</summary>
    public static string[] Strings(JsonElement e, string param) => e.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => [],
        JsonValueKind.String => [JsonStrings.Value(e)],
        JsonValueKind.Array when e.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String) =>
            e.EnumerateArray().Select(JsonStrings.Value).ToArray(),
        _ => throw ApiError.BadRequest($"{param} must be a string or a list of strings", param),
    };

    /// <summary>The prompt of a completion: text, a list holding one text, or token ids.</summary>
    public static GenerateRequest WithPrompt(GenerateRequest r, CompletionRequest c)
    {
        if (c.Echo) throw ApiError.Unsupported("echo", "");
        if (c.BestOf is > 1) throw ApiError.Unsupported("best_of", "");
        if (!string.IsNullOrEmpty(c.Suffix)) throw ApiError.Unsupported("suffix", "");
        var p = c.Prompt;
        if (p.ValueKind == JsonValueKind.Array && p.GetArrayLength() > 0 && p.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number))
            return r with { PromptIds = p.EnumerateArray().Select(x => x.TryGetInt32(out var id) ? id : -1).ToArray() };
        var texts = Strings(p, "prompt");
        if (texts.Length != 1) throw ApiError.BadRequest("prompt must be one text (or a list of one, or token ids)", "prompt");
        if (texts[0].Length == 0) throw ApiError.BadRequest("prompt is empty", "prompt");
        return r with { Prompt = texts[0] };
    }

    /// <summary>The conversation of a chat request, for the model's chat template.</summary>
    public static GenerateRequest WithMessages(GenerateRequest r, ChatRequest c)
    {
        if (c.Tools.ValueKind == JsonValueKind.Array && c.Tools.GetArrayLength() > 0) throw ApiError.Unsupported("tools", "");
        if (c.TopLogprobs is > 0) throw ApiError.Unsupported("top_logprobs", "");
        if (c.ResponseFormat.ValueKind == JsonValueKind.Object && c.ResponseFormat.TryGetProperty("type", out var t) && Text(t) != "text")
            throw ApiError.Unsupported("response_format", "only text");
        if (c.Messages is not { Count: > 0 } messages) throw ApiError.BadRequest("messages must hold at least one message", "messages");
        return r with
        {
            Messages = messages.Select(Turn).ToArray(), ChatTemplate = c.ChatTemplate, ChatTemplateKwargs = TemplateKwargs(c.ChatTemplateKwargs),
        };
    }

    /// <summary>chat_template_kwargs as JSON text per name; the silo parses the scalars for the template.</summary>
    private static Dictionary<string, string>? TemplateKwargs(JsonElement e)
    {
        const string param = "chat_template_kwargs";
        if (e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest($"{param} must be an object", param);
        var kwargs = new Dictionary<string, string>();
        foreach (var p in e.EnumerateObject())
        {
            if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                throw ApiError.BadRequest($"{param}.{p.Name} must be a bool, number, string or null", param);
            kwargs[p.Name] = p.Value.GetRawText();
        }
        return kwargs;
    }

    private static ChatTurn Turn(ApiMessage m, int i)
    {
        if (string.IsNullOrEmpty(m.Role)) throw ApiError.BadRequest($"messages[{i}] has no role", "messages");
        var content = m.Content.ValueKind switch
        {
            JsonValueKind.String => JsonStrings.Value(m.Content),
            JsonValueKind.Null or JsonValueKind.Undefined => "",
            JsonValueKind.Array => string.Join("\n", m.Content.EnumerateArray().Select(part => TextPart(part, i))),
            _ => throw ApiError.BadRequest($"messages[{i}].content must be a string or a list of parts", "messages"),
        };
        return new ChatTurn(m.Role, content);
    }

    private static string TextPart(JsonElement part, int i) =>
        part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var type) && Text(type) == "text"
            && part.TryGetProperty("text", out var text) && Text(text) is { } value
            ? value
            : throw ApiError.Unsupported($"messages[{i}].content", "only text parts");

    /// <summary>A JSON string's value, null for any other kind (GetString throws on those).</summary>
    private static string? Text(JsonElement e) => e.ValueKind == JsonValueKind.String ? JsonStrings.Value(e) : null;
}

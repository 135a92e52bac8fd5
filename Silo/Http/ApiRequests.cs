using System.Text.Json;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// The fields of a completion or chat request that choose the model and shape the generation (OpenAI's, plus vLLM's
/// top_k, min_p, repetition_penalty and ignore_eos). Fields that may be a string or a list stay JSON until mapped.
/// </summary>
internal class GenerationFields
{
    public string? Model { get; set; }
    public int? MaxTokens { get; set; }
    public int? MaxCompletionTokens { get; set; }
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    public int? TopK { get; set; }
    public double? MinP { get; set; }
    public double? RepetitionPenalty { get; set; }
    public double? PresencePenalty { get; set; }
    public double? FrequencyPenalty { get; set; }
    public JsonElement Stop { get; set; }
    public long? Seed { get; set; }
    public int? N { get; set; }
    public bool Stream { get; set; }
    public StreamOptions? StreamOptions { get; set; }
    public JsonElement Logprobs { get; set; }
    public JsonElement LogitBias { get; set; }
    public bool IgnoreEos { get; set; }
}

internal sealed class StreamOptions
{
    public bool IncludeUsage { get; set; }
}

/// <summary>POST /v1/completions: a text prompt (or a list of one, or token ids).</summary>
internal sealed class CompletionRequest : GenerationFields
{
    public JsonElement Prompt { get; set; }
    public bool Echo { get; set; }
    public int? BestOf { get; set; }
    public string? Suffix { get; set; }
}

/// <summary>POST /v1/chat/completions: a conversation for the model's chat template.</summary>
internal sealed class ChatRequest : GenerationFields
{
    public List<ApiMessage>? Messages { get; set; }
    public JsonElement Tools { get; set; }
    public JsonElement ResponseFormat { get; set; }
    public int? TopLogprobs { get; set; }
    /// <summary>A chat template to use instead of the model's (as vLLM accepts).</summary>
    public string? ChatTemplate { get; set; }
    /// <summary>Extra chat-template variables, e.g. {"enable_thinking": false} (as vLLM accepts): scalars only.</summary>
    public JsonElement ChatTemplateKwargs { get; set; }
}

/// <summary>A chat message: content is a string or a list of parts, of which text parts are taken.</summary>
internal sealed class ApiMessage
{
    public string? Role { get; set; }
    public JsonElement Content { get; set; }
}

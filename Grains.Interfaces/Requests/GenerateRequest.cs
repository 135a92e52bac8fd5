namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A generation on a deployment: the prompt as text, as ids, or as a conversation that the model's chat template turns
/// into a prompt on the silo; and how to sample.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.GenerateRequest")]
public sealed record GenerateRequest
{
    [Id(0)] public required string DeploymentId { get; init; }
    [Id(1)] public string? Prompt { get; init; }
    [Id(2)] public int[]? PromptIds { get; init; }
    [Id(3)] public int MaxTokens { get; init; } = 128;
    [Id(4)] public double Temperature { get; init; }
    [Id(5)] public int TopK { get; init; }
    [Id(6)] public double TopP { get; init; } = 1.0;
    [Id(7)] public double MinP { get; init; }
    [Id(8)] public double RepetitionPenalty { get; init; } = 1.0;
    [Id(9)] public ulong? Seed { get; init; }
    [Id(10)] public string[] StopStrings { get; init; } = [];
    /// <summary>Generate exactly MaxTokens, past any end-of-sequence token (benchmarks).</summary>
    [Id(12)] public bool IgnoreEos { get; init; }
    /// <summary>A conversation, rendered by the model's chat template with the assistant's turn opened.</summary>
    [Id(13)] public ChatTurn[]? Messages { get; init; }
    /// <summary>A chat template (Jinja) to use instead of the model's.</summary>
    [Id(14)] public string? ChatTemplate { get; init; }
    /// <summary>Generate until the context is full, MaxTokens at most (OpenAI's max_tokens left out).</summary>
    [Id(15)] public bool UpToContext { get; init; }
    /// <summary>
    /// Extra chat-template variables (vLLM's chat_template_kwargs, e.g. enable_thinking), each value as its JSON text:
    /// true, 3, 0.5, "text" or null. Only read with <see cref="Messages"/>.
    /// </summary>
    [Id(16)] public Dictionary<string, string>? ChatTemplateKwargs { get; init; }
}

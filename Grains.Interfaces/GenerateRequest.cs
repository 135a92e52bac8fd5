namespace OrleansLlm.Grains.Interfaces;

/// <summary>A generation on a deployment: the prompt as text or ids, and how to sample.</summary>
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
}

/// <summary>Tokens generated since the last chunk; the last chunk carries the stop reason and the timings.</summary>
[GenerateSerializer, Immutable, Alias("olm.TokenChunk")]
public sealed record TokenChunk(
    [property: Id(0)] int[] Ids,
    [property: Id(1)] string Text,
    [property: Id(2)] string? StopReason = null,
    [property: Id(3)] GenerationStats? Stats = null);

/// <summary>
/// A request's figures. Per-token means cover decode steps: compute (on stage masters' devices), all-reduce waiting
/// (which includes peers' compute skew and their messages), and the rest of the step time (messaging, serialization,
/// scheduling), with the messages and bytes shards sent per token.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.GenerationStats")]
public sealed record GenerationStats(
    [property: Id(0)] int PromptTokens,
    [property: Id(1)] int GeneratedTokens,
    [property: Id(2)] double TimeToFirstTokenMs,
    [property: Id(3)] double DecodeTokensPerSecond,
    [property: Id(4)] double DecodeMsPerToken = 0,
    [property: Id(5)] double ComputeMsPerToken = 0,
    [property: Id(6)] double AllReduceWaitMsPerToken = 0,
    [property: Id(7)] double MessagesPerToken = 0,
    [property: Id(8)] double BytesPerToken = 0,
    [property: Id(9)] double[]? PrefillBusyMsPerShard = null,
    [property: Id(10)] int[]? PrefillTokensPerShard = null);

[GenerateSerializer, Immutable, Alias("olm.PerplexityResult")]
public sealed record PerplexityResult([property: Id(0)] double Perplexity, [property: Id(1)] int Tokens);

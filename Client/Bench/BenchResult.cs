namespace OrleansLlm.Client.Bench;

/// <summary>The median figures of one benchmarked configuration.</summary>
internal sealed record BenchResult
{
    public required int Shards { get; init; }
    public required string Strategy { get; init; }
    public required string AllReduce { get; init; }
    public int PromptTokens { get; init; }
    public double TtftMs { get; init; }
    public double DecodeTokensPerS { get; init; }
    public double DecodeMsPerToken { get; init; }
    public double ComputeMsPerToken { get; init; }
    public double AllReduceWaitMsPerToken { get; init; }
    public double MessagingMsPerToken => Math.Max(0, DecodeMsPerToken - ComputeMsPerToken - AllReduceWaitMsPerToken);
    public double MessagesPerToken { get; init; }
    public double BytesPerToken { get; init; }
    /// <summary>Wait per all-reduce: 2 per layer per token on each stage.</summary>
    public double AllReduceMs { get; init; }
    public int Concurrency { get; init; } = 1;
    public string? Prefill { get; init; }
    /// <summary>Sequence parallel: each shard's busy time and tokens in the median prefill.</summary>
    public double[]? BusyMsPerShard { get; init; }
    public int[]? TokensPerShard { get; init; }
    /// <summary>Tokens per second over all concurrent requests (wall time of a run).</summary>
    public double ThroughputTokensPerS { get; init; }
    /// <summary>Weights held, windows and peak resident memory of the configuration.</summary>
    public MemoryFigures? Memory { get; init; }
    /// <summary>Contextual sparsity at decode (0: dense) and how heads and neurons were chosen.</summary>
    public double Sparsity { get; init; }
    public string? SparsityMode { get; init; }
    /// <summary>The recall target the shards took their sparsity from (--sparsity-recall), or null.</summary>
    public double? SparsityRecall { get; init; }
}

namespace OrleansLlm.Client.Bench;

/// <summary>
/// A serving run as vLLM's serving benchmark reports it: a stream of requests (mixed prompt lengths, at most
/// Concurrency in flight), total output tokens per second over the run's wall time, time to first token as the client
/// saw it, and inter-token latency from the server's token times.
/// </summary>
internal sealed record ServeResult
{
    public required int Shards { get; init; }
    public required string Strategy { get; init; }
    public required int Requests { get; init; }
    public required int Concurrency { get; init; }
    public required int[] PromptTokens { get; init; }
    public required int Tokens { get; init; }
    public required double WallS { get; init; }
    public required double OutputTokensPerS { get; init; }
    public required double TtftMsP50 { get; init; }
    public required double TtftMsP99 { get; init; }
    public required double ItlMsP50 { get; init; }
    public required double ItlMsP99 { get; init; }
    /// <summary>Mean rows of the batches decode steps rode in.</summary>
    public required double BatchRows { get; init; }
    /// <summary>Weights held, windows and peak resident memory of the configuration.</summary>
    public MemoryFigures? Memory { get; init; }
}

namespace OrleansLlm.Grains.Interfaces;

/// <summary>One generation: orchestrates prefill and decode over a deployment's shards and streams the tokens.</summary>
[Alias("olm.IRequestGrain")]
public interface IRequestGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Streams generated tokens as they are made. Cancelling the enumeration stops the work and frees the KV cache on
    /// every shard.
    /// </summary>
    [Alias("Generate")]
    IAsyncEnumerable<TokenChunk> GenerateAsync(GenerateRequest request, CancellationToken cancellation = default);

    [ResponseTimeout("00:10:00"), Alias("Perplexity")]
    Task<PerplexityResult> PerplexityAsync(string deploymentId, int[] ids, CancellationToken cancellation = default);
}

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

/// <summary>The tokenizer of a model folder, on whichever silo asks (key: the model folder).</summary>
[Alias("olm.ITokenizerGrain")]
public interface ITokenizerGrain : IGrainWithStringKey
{
    [Alias("Encode")] Task<int[]> EncodeAsync(string text);
    [Alias("Decode")] Task<string> DecodeAsync(int[] ids);
}

/// <summary>A silo's devices and their memory (key: the silo address). Lives on that silo.</summary>
[Alias("olm.ISiloInventoryGrain")]
public interface ISiloInventoryGrain : IGrainWithStringKey
{
    [Alias("Get")] Task<SiloInventory> GetAsync();
}

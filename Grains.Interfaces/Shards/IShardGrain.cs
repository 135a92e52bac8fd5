namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A slice of a model's weights on one device of one silo, and the KV caches of the requests it serves. The key is
/// "{deployment}/{index}|{silo}": placement reads the silo from it, so a shard is activated where its device is.
/// A deployment is a chain of pipeline stages; each stage is one shard or a tensor-parallel group whose rank 0 (the
/// master) receives the stage's input, drives its peers and passes the output on.
/// </summary>
[Alias("olm.IShardGrain")]
public interface IShardGrain : ISequenceShard
{
    /// <summary>Loads the weights (idempotent: a loaded shard answers at once). Reports progress on the deployment stream.</summary>
    [ResponseTimeout("00:30:00"), Alias("Load")]
    Task<ShardStatus> LoadAsync(ShardLoadSpec spec);

    /// <summary>
    /// On the first stage's master (the deployment's entry, which schedules every batch): runs a request's decode loop
    /// beside the others' and streams its tokens as they are drawn, until its plan ends or the caller stops reading.
    /// The prompt is computed in chunks shared with other requests' decode steps; a request that could never fit the
    /// KV cache, or that finds too many waiting, is refused (OlmException).
    /// </summary>
    [Alias("Generate")]
    IAsyncEnumerable<TokenStep> GenerateAsync(Guid request, SequenceStart start, CancellationToken cancellation = default);

    /// <summary>On the entry: the summed −log p(ids[i+1] | ids[..i]) of a sequence (perplexity); keeps no KV after.</summary>
    [ResponseTimeout("00:30:00"), Alias("Score")]
    Task<double> ScoreAsync(Guid request, int[] ids, CancellationToken cancellation);

    /// <summary>
    /// On a later stage's master or any tensor-parallel peer: runs this shard's part of a batch the entry formed; a
    /// master passes it on and answers with the last stage's result.
    /// </summary>
    [ResponseTimeout("00:30:00"), Alias("Forward")]
    Task<BatchResult> ForwardAsync(BatchMessage batch);

    /// <summary>
    /// A peer's partial sum for all-reduce <paramref name="op"/> of a batch. With the star algorithm the master answers
    /// with the total once every rank has contributed; with all-to-all the answer is null.
    /// </summary>
    [AlwaysInterleave, Alias("Contribute")]
    Task<TensorBytes?> ContributeAsync(long batch, int op, int rank, TensorBytes partial);

    /// <summary>A rank of the batch failed: fails this shard's all-reduces of it, so no rank waits for ever.</summary>
    [AlwaysInterleave, Alias("AbortBatch")]
    Task AbortBatchAsync(long batch, string reason);

    /// <summary>
    /// Frees a request's KV (its blocks on the entry; its cache on a sequence-parallel shard) and fails its pending
    /// step; unknown requests are ignored, so it is safe to call twice.
    /// </summary>
    [AlwaysInterleave, Alias("Release")]
    Task ReleaseAsync(Guid request);

    [AlwaysInterleave, Alias("Status")]
    Task<ShardStatus> StatusAsync();

    /// <summary>Frees the weights and every cache, and lets the activation go.</summary>
    [Alias("Unload")]
    Task UnloadAsync();
}

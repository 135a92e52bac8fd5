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
    /// On a stage master: runs one step of a request through this stage and every later one, and returns the last
    /// stage's output (logits of the last position, or the scored log-likelihood). A step with a capacity starts the
    /// request: its KV cache is reserved (or the request refused) on every shard it reaches.
    /// </summary>
    [ResponseTimeout("00:10:00"), Alias("Step")]
    Task<StepResult> StepAsync(Guid request, StepInput input, CancellationToken cancellation);

    /// <summary>
    /// On a tensor-parallel peer: runs its part of the stage's layers for a step its master received; in the last stage
    /// it returns its rows of the output head (logits, or log-sum-exp and target logits when scoring).
    /// </summary>
    [ResponseTimeout("00:10:00"), Alias("PeerStep")]
    Task<StepResult> PeerStepAsync(Guid request, StepInput input, CancellationToken cancellation);

    /// <summary>
    /// A peer's partial sum for all-reduce number <paramref name="sequence"/> of a request. With the star algorithm the
    /// master answers with the total once every rank has contributed; with all-to-all the answer is null.
    /// </summary>
    [AlwaysInterleave, Alias("Contribute")]
    Task<TensorBytes?> ContributeAsync(Guid request, long sequence, int rank, TensorBytes partial);

    /// <summary>Frees a request's KV cache; unknown requests are ignored, so it is safe to call twice.</summary>
    [AlwaysInterleave, Alias("Release")]
    Task ReleaseAsync(Guid request);

    [AlwaysInterleave, Alias("Status")]
    Task<ShardStatus> StatusAsync();

    /// <summary>Frees the weights and every cache, and lets the activation go.</summary>
    [Alias("Unload")]
    Task UnloadAsync();
}

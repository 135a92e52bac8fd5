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

/// <summary>What a shard loads, and its place in the deployment.</summary>
[GenerateSerializer, Immutable, Alias("olm.ShardLoadSpec")]
public sealed record ShardLoadSpec(
    [property: Id(0)] string DeploymentId,
    [property: Id(1)] int Index,
    [property: Id(2)] string Model,
    [property: Id(3)] string Device,
    [property: Id(4)] string DType,
    [property: Id(5)] SliceSpec Slice,
    [property: Id(6)] ShardTopology Topology);

/// <summary>A shard's neighbours: the grain keys of its stage by rank, and the next stage's master.</summary>
[GenerateSerializer, Immutable, Alias("olm.ShardTopology")]
public sealed record ShardTopology(
    [property: Id(0)] int Stage,
    [property: Id(1)] int Rank,
    [property: Id(2)] string[] StageShards,
    [property: Id(3)] string? NextStage,
    [property: Id(4)] string AllReduce = "star");

/// <summary>
/// A step's input: token ids (first stage) or hidden states (later stages); a capacity above 0 starts the request.
/// With targets, the last stage scores them (sum of −log p(target)) instead of returning logits.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.StepInput")]
public sealed record StepInput(
    [property: Id(0)] int[]? Ids,
    [property: Id(1)] TensorBytes? Hidden,
    [property: Id(2)] int Capacity = 0,
    [property: Id(3)] int[]? Targets = null);

[GenerateSerializer, Immutable, Alias("olm.StepResult")]
public sealed record StepResult([property: Id(0)] TensorBytes Output, [property: Id(1)] StepTimings Timings);

/// <summary>Where a step's time went on the shards it crossed, and what it sent.</summary>
[GenerateSerializer, Immutable, Alias("olm.StepTimings")]
public sealed record StepTimings(
    [property: Id(0)] double ComputeMs,
    [property: Id(1)] double AllReduceWaitMs,
    [property: Id(2)] int Messages,
    [property: Id(3)] long Bytes)
{
    public static readonly StepTimings Zero = new(0, 0, 0, 0);

    public StepTimings Add(StepTimings o) =>
        new(ComputeMs + o.ComputeMs, AllReduceWaitMs + o.AllReduceWaitMs, Messages + o.Messages, Bytes + o.Bytes);
}

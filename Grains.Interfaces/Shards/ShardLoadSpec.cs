namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// What a shard loads, and its place in the deployment: its slice, its KV pool (blocks of BlockSize tokens; every shard
/// of a deployment has as many, so one block table addresses them all; 0 for sequence-parallel shards, whose requests
/// keep caches of their own) and, for the entry, how to form batches.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.ShardLoadSpec")]
public sealed record ShardLoadSpec(
    [property: Id(0)] string DeploymentId,
    [property: Id(1)] int Index,
    [property: Id(2)] string Model,
    [property: Id(3)] string Device,
    [property: Id(4)] DType DType,
    [property: Id(5)] SliceSpec Slice,
    [property: Id(6)] ShardTopology Topology,
    [property: Id(7)] int KvBlocks,
    [property: Id(8)] int BlockSize,
    [property: Id(9)] ServingSettings Serving,
    [property: Id(10)] WeightSettings? Weights = null,
    [property: Id(11)] SparsitySettings? Sparsity = null);

namespace OrleansLlm.Grains.Interfaces;

/// <summary>What a shard loads, and its place in the deployment.</summary>
[GenerateSerializer, Immutable, Alias("olm.ShardLoadSpec")]
public sealed record ShardLoadSpec(
    [property: Id(0)] string DeploymentId,
    [property: Id(1)] int Index,
    [property: Id(2)] string Model,
    [property: Id(3)] string Device,
    [property: Id(4)] DType DType,
    [property: Id(5)] SliceSpec Slice,
    [property: Id(6)] ShardTopology Topology);

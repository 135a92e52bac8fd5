namespace OrleansLlm.Grains.Interfaces;

/// <summary>A deployment's plan and state, as the deployment grain knows it.</summary>
[GenerateSerializer, Immutable, Alias("olm.DeploymentInfo")]
public sealed record DeploymentInfo
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required DeploySpec Spec { get; init; }
    [Id(2)] public required ShardPlan[] Shards { get; init; }
    /// <summary>loading, ready or failed.</summary>
    [Id(3)] public required string State { get; init; }
    [Id(4)] public string? Error { get; init; }
    [Id(5)] public int VocabSize { get; init; }
    [Id(6)] public int ContextLength { get; init; }
    [Id(7)] public int[] EosTokenIds { get; init; } = [];
    [Id(8)] public bool HasTokenizer { get; init; }
    [Id(9)] public string Architecture { get; init; } = "";
    [Id(10)] public int HiddenSize { get; init; }

    /// <summary>The master shard of the first stage: where a request's steps start.</summary>
    public ShardPlan Entry => Shards.First(s => s.Stage == 0 && s.Rank == 0);
}

/// <summary>One shard of a plan: where it lives and which part of the model it holds.</summary>
[GenerateSerializer, Immutable, Alias("olm.ShardPlan")]
public sealed record ShardPlan
{
    [Id(0)] public required int Index { get; init; }
    /// <summary>The grain key of the shard, which names its silo.</summary>
    [Id(1)] public required string GrainKey { get; init; }
    [Id(2)] public required string Silo { get; init; }
    [Id(3)] public required string Device { get; init; }
    [Id(4)] public required SliceSpec Slice { get; init; }
    [Id(5)] public long WeightBytes { get; init; }
    /// <summary>Pipeline stage (0 first) and tensor-parallel rank within it (0 is the stage's master).</summary>
    [Id(6)] public int Stage { get; init; }
    [Id(7)] public int Rank { get; init; }
}

/// <summary>The engine's ModelSlice in wire form.</summary>
[GenerateSerializer, Immutable, Alias("olm.SliceSpec")]
public sealed record SliceSpec(
    [property: Id(0)] int LayerStart, [property: Id(1)] int LayerEnd,
    [property: Id(2)] int KvHeadStart, [property: Id(3)] int KvHeadEnd,
    [property: Id(4)] int FfnStart, [property: Id(5)] int FfnEnd,
    [property: Id(6)] bool HasEmbedding, [property: Id(7)] bool HasHead,
    [property: Id(8)] int? VocabStart = null, [property: Id(9)] int? VocabEnd = null);
